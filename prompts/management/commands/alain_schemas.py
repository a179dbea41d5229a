from typing import Any

from django.core.management.base import BaseCommand

from prompts.schema_files import write_schema_files


class Command(BaseCommand):
    help = "Write prompts/schemas/*.json from the outline and section specs."
    # The checks would refuse to run while the schemas are stale, which this command fixes.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        for path in write_schema_files():
            self.stdout.write(f"wrote {path}")
