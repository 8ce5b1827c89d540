from pipelines.native import main

raise SystemExit(main())
