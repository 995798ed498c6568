"""Grafana dashboards as code: deploy/grafana/dashboards/*.json are generated from this package
(`tweetcare dashboards write`); a test holds the committed files to the generated ones."""
