from routerctl.cli import main

main()
