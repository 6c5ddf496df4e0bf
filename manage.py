#!/usr/bin/env python
import os
import secrets
import sys

#: Commands that read only the code (and the migration files): they sign nothing, so
#: without SECRET_KEY they get a random key that lives as long as the process. A key
#: nobody knows cannot forge anything; every command that serves, signs or sends still
#: refuses to start without the real one (config.settings.secret).
CODE_ONLY_COMMANDS = {"makemigrations", "makemessages", "compilemessages", "help", "version"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command in CODE_ONLY_COMMANDS and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
