"""``python -m langchain_sessionmem.cli``: the ``sessionmem`` command."""

from langchain_sessionmem.cli import main

if __name__ == "__main__":
    main()
