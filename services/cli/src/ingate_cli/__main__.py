from ingate_cli.main import main

main()
