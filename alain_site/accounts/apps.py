from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alain_site.accounts"
    label = "accounts"
    verbose_name = "Accounts, teams and API tokens"
