"""Routes: virtual model names sent to several provider targets, with fallbacks and cooldowns."""
