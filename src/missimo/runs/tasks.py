from django.tasks import task

from missimo.runs.services import execute_run


@task()
def run_abgleich_task(run_id: int) -> str:
    return execute_run(run_id).status
