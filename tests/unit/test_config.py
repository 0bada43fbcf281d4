import pytest

from config import DEVELOPMENT_SECRET, Settings, SettingsError


def test_defaults_are_production_with_sqlite_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})

    assert settings.environment == "production"
    assert settings.database_url == f"sqlite:///{tmp_path / 'apiserver.db'}"
    assert settings.bcrypt_rounds == 12
    assert settings.signup == "open"
    assert settings.validate_responses is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///relative.db", "sqlite:///{cwd}/relative.db"),
        ("sqlite:///./data/api.db", "sqlite:///{cwd}/data/api.db"),
        ("sqlite:////absolute/api.db", "sqlite:////absolute/api.db"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_a_relative_sqlite_path_is_made_absolute(given, expected, tmp_path, monkeypatch):
    # Workers of `serve --workers N` run in another directory: they must open the same file.
    monkeypatch.chdir(tmp_path)
    url = Settings.from_env({"DATABASE_URL": given}).database_url
    assert url.replace("/./", "/") == expected.format(cwd=tmp_path)


def test_every_variable_is_read():
    settings = Settings.from_env(
        {
            "ENVIRONMENT": "development",
            "DATABASE_URL": "postgresql://u@h/db",
            "SECRET_KEY": "k" * 40,
            "BCRYPT_ROUNDS": "4",
            "LOG_LEVEL": "debug",
            "VALIDATE_RESPONSES": "on",
            "SIGNUP": "admin",
            "ACCESS_TOKEN_TTL": "600",
            "REFRESH_TOKEN_TTL": "86400",
            "DB_POOL_SIZE": "3",
            "DB_MAX_OVERFLOW": "0",
            "CORS_ORIGINS": "https://a.example, http://localhost:3000/",
            "MAX_CONCURRENT_READS": "0",
        }
    )

    assert settings.environment == "development"
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.secret_key == "k" * 40
    assert settings.bcrypt_rounds == 4
    assert settings.log_level == "DEBUG"
    assert settings.validate_responses is True
    assert settings.signup == "admin"
    assert (settings.access_token_ttl, settings.refresh_token_ttl) == (600, 86400)
    assert (settings.db_pool_size, settings.db_max_overflow) == (3, 0)
    assert settings.cors_origins == ("https://a.example", "http://localhost:3000")
    assert settings.max_concurrent_reads == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENVIRONMENT", "staging"),
        ("BCRYPT_ROUNDS", "3"),
        ("BCRYPT_ROUNDS", "twelve"),
        ("LOG_LEVEL", "LOUD"),
        ("VALIDATE_RESPONSES", "maybe"),
        ("SIGNUP", "closed"),
        ("DB_POOL_SIZE", "0"),
        ("MAX_CONCURRENT_READS", "-1"),
        ("CORS_ORIGINS", "example.com"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


@pytest.mark.parametrize("secret", ["", "change-me", "short", DEVELOPMENT_SECRET])
def test_production_refuses_missing_or_placeholder_secrets(secret):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"SECRET_KEY": secret}).check_secret()


def test_production_accepts_a_real_secret_and_development_needs_none():
    Settings.from_env({"SECRET_KEY": "x" * 48}).check_secret()
    development = Settings.from_env({"ENVIRONMENT": "development"})
    development.check_secret()
    assert development.secret_key == DEVELOPMENT_SECRET


def test_the_authorization_code_flow_settings():
    settings = Settings.from_env(
        {
            "ISSUER": "https://auth.example/",
            "PASSWORD_GRANT": "off",
            "AUTHORIZATION_CODE_TTL": "30",
        }
    )
    assert settings.issuer == "https://auth.example"  # no trailing slash: `iss` compares exactly
    assert settings.password_grant is False
    assert settings.authorization_code_ttl == 30
    settings.check_issuer()


def test_development_defaults_the_issuer_to_this_machine_on_port():
    assert Settings.from_env({"ENVIRONMENT": "development"}).issuer == "http://127.0.0.1:5000"
    assert Settings.from_env({"PORT": "8080"}).issuer == "http://127.0.0.1:8080"
    assert Settings.from_env({}).password_grant is True
    assert Settings.from_env({}).authorization_code_ttl == 60
    Settings.from_env({"ENVIRONMENT": "development"}).check_issuer()


def test_production_refuses_to_serve_without_an_issuer():
    with pytest.raises(SettingsError, match="ISSUER"):
        Settings.from_env({"SECRET_KEY": "x" * 48}).check_issuer()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ISSUER", "auth.example"),
        ("ISSUER", "ftp://auth.example"),
        ("ISSUER", "https://auth.example/?tenant=1"),
        ("ISSUER", "https://auth.example/#top"),
        ("PASSWORD_GRANT", "sometimes"),
        ("AUTHORIZATION_CODE_TTL", "0"),
        ("AUTHORIZATION_CODE_TTL", "601"),
    ],
)
def test_bad_authorization_code_flow_settings_are_refused(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
