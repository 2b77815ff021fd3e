"""Ingate admin service: the admin API (/admin/v1/) and the web console."""
