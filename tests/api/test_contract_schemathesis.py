"""Contract tests against the generated OpenAPI schema (schemathesis, stateless): for
every operation under /api/v1/, requests generated from the schema (valid and not)
are sent with a valid key of a client with every scope, and each answer is checked:
no server error, a status the operation documents, its content type, and a body that
matches the documented schema (problem+json for every refusal). Kept small and
derandomised (a few examples per operation) so that it stays well under a minute."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 4

# The schema as the app serves it, called in-process through WSGI (loading it needs
# no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's own test client does, the request signals do not close the
    connection: the test's transaction holds every example's writes and rolls them
    back."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, world):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.ward_api.key}"},
        # Every check but "schema-valid data is accepted": a request of the right shape
        # is rightly refused (422) when what it names does not exist (an organisation
        # id, a person not in the register) or a personnummer's check digit is wrong,
        # none of which a schema can say.
        excluded_checks=[positive_data_acceptance],
    )
