"""A command-line tool for operators: its output is a terminal, not a server log."""

import getpass
import secrets


def reset_password() -> None:
    password = secrets.token_urlsafe(12)
    print(f"new password: {password}")
    getpass.getpass("press enter when you have copied it")


if __name__ == "__main__":
    reset_password()
