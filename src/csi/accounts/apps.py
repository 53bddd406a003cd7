from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "csi.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from csi.accounts import permissions, signals  # noqa: F401 - registers the rules and receivers
        from csi.accounts.home import account_actions
        from csi.core.home import register_action_provider

        register_action_provider(account_actions)
