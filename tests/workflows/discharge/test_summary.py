"""The discharge summary: a print page and the same template as a PDF, access-logged."""

import io

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from coordination.models import AccessLog
from tests.factories import UserFactory
from workflows.discharge.flows import DischargeFlow

from .helpers import client_for, do, fresh
from .test_flow import local, register

pytestmark = pytest.mark.django_db


def test_summary_page_and_pdf(world):
    ward = client_for(world.nurse)
    with time_machine.travel(local(2026, 3, 27, 9, 0), tick=False):
        process = register(world, admitted=local(2026, 3, 27, 8, 0))
        do(
            ward,
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2026-03-30",
            },
        )
        process = fresh(process)
        url = reverse("utskrivning:case_summary", args=[process.pk])
        case_page = ward.get(process.get_absolute_url()).content.decode()
        assert f'href="{url}"' in case_page and f'href="{url}?format=pdf"' in case_page

        page = ward.get(url).content.decode()
        assert "Sammanfattning av utskrivning" in page
        assert "Astrid Testsson" in page and "Testdistrikt biståndsenhet" in page
        assert "javascript:" not in page and "data-kb-print" in page

        logged = AccessLog.objects.filter(action="PRINT", process=process).count()
        response = ward.get(url, {"format": "pdf"})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        assert "Sammanfattning av utskrivning" in text
        assert "Astrid Testsson" in text
        assert "Testdistrikt vårdcentral" in text
        assert "27 mar 2026 08:00" in text  # admission, Stockholm time
        assert AccessLog.objects.filter(action="PRINT", process=process).count() == logged + 1

        # The kommun of another case, or no membership at all: nothing.
        stranger = client_for(UserFactory())
        assert stranger.get(url).status_code == 404
        assert stranger.get(url, {"format": "pdf"}).status_code == 404
