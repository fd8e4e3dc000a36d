"""``python -m trajdiv``."""

from trajdiv.cli import main

if __name__ == "__main__":
    main()
