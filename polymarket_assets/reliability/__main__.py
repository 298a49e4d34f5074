from polymarket_assets.reliability.cli import main

raise SystemExit(main())
