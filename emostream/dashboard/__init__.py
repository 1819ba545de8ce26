"""The live lab console: a web server per process, a `DashboardSink` per wearer, and the pages
(dashboard, wearer self-report) it serves. See docs/dashboard.md."""
