"""`python -m sciaticalm.runtime run ...`: Rasa's command line with the hooks installed."""

from __future__ import annotations

from sciaticalm.runtime import install


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
