"""``python -m ingate_mock``."""

from ingate_mock.cli import main

if __name__ == "__main__":
    main()
