"""``python -m trajdiv``."""

if __name__ == "__main__":
    try:
        from trajdiv.cli import main
    except KeyboardInterrupt:  # Ctrl-C while Python is still importing trajdiv
        raise SystemExit(130) from None
    main()
