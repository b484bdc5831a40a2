"""System checks of the SAML settings: a production BundID setup names its keys and the
IdP's metadata."""

from buergerbuero.identity.saml.checks import saml_settings


def ids(settings):
    return sorted(problem.id for problem in saml_settings(None))


def test_nothing_to_say_without_bundid(settings):
    settings.SAML_BUNDID_ENVIRONMENT = ""
    assert ids(settings) == []


def test_production_bundid_needs_metadata_keys_and_https(settings):
    settings.DEMO_MODE = False
    settings.SAML_BUNDID_ENVIRONMENT = "production"
    settings.SAML_IDP_METADATA = ""
    settings.SITE_URL = "http://buergerbuero.example.de"
    found = ids(settings)
    assert "identity.E112" in found and "identity.E115" in found and "identity.W116" in found


def test_complete_production_setup_passes(settings, tmp_path):
    for name in ("metadata.xml", "s.key", "s.crt", "e.key", "e.crt"):
        (tmp_path / name).write_text("x")
    settings.DEMO_MODE = False
    settings.SAML_BUNDID_ENVIRONMENT = "test"
    settings.SAML_IDP_METADATA = str(tmp_path / "metadata.xml")
    settings.SAML_SP_SIGNING_KEY = str(tmp_path / "s.key")
    settings.SAML_SP_SIGNING_CERT = str(tmp_path / "s.crt")
    settings.SAML_SP_ENCRYPTION_KEY = str(tmp_path / "e.key")
    settings.SAML_SP_ENCRYPTION_CERT = str(tmp_path / "e.crt")
    settings.SITE_URL = "https://buergerbuero.example.de"
    assert ids(settings) == []


def test_unknown_signature_algorithm(settings):
    settings.SAML_SIGNATURE_ALGORITHM = "rsa-sha1"
    assert "identity.E110" in ids(settings)
