"""Citizens' local accounts: the login page, registration with a confirmed email address,
password reset, the optional second factor (TOTP with backup codes), "Mein Konto" with
the login identities, the data export (GDPR Art. 15/20) and the deletion of the account.

See docs/identity-accounts.md.
"""
