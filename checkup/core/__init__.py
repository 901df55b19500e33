"""What every domain uses: the task registry, locks."""
