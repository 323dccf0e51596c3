"""Background work of deliveries (Django Tasks, database backend; `missimo serve` runs the worker)."""

from django.tasks import task

from missimo.imports.services import process_delivery


@task()
def import_delivery(delivery_id: int) -> str:
    return process_delivery(delivery_id).status
