import warnings

# pysaml2 7.5 names the CFB mode at import, which cryptography 50 marks as moved; we never use
# CFB. Silenced here, before anything imports saml2, so operators' logs stay readable.
warnings.filterwarnings("ignore", message="CFB has been moved", module=r"saml2\.")
