"""`python -m server`: start the Rasa server (see server/launch.py)."""

from server.launch import main

if __name__ == "__main__":
    raise SystemExit(main())
