"""Grafana dashboards and provisioning."""
