"""WSGI entry point for other servers: `waitress-serve staff_console.wsgi:app`."""

from staff_console import create_app

app = create_app()
