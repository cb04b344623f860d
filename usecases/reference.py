"""Reference data: the city's catalogue (部件/事件), area tree and departments (``standards/``) into the conformed
dimensions, published. Run once at set-up and after the city's configuration changes (``szcg warehouse
load-reference``, the demo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from szcg.logs import get_logger, job
from szcg.settings import Settings
from usecases.publish import publish_if_changed

log = get_logger(__name__)


@dataclass
class ReferenceOutcome:
    city: str
    city_name: str
    result: Any  # transforms.reference.load.ReferenceLoad: subclasses, areas, departments, batches
    published: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"city": self.city, **self.result.to_dict(), "published": self.published}


def load_reference_data(settings: Settings, *, publish: bool = True) -> ReferenceOutcome:
    """Load the city's reference data; publish if that changed what readers see."""
    from standards.city import load_city
    from transforms.reference.load import load_reference
    from warehouse.store import Warehouse

    with job("reference data load", log) as running:
        with running.step("load") as step:
            city = load_city(settings)
            result = load_reference(Warehouse(settings), city)
            step.count(subclasses=result.subclasses, areas=result.areas, departments=result.departments)
        published = None
        if publish:
            with running.step("publish") as step:
                published = publish_if_changed(settings, "reference data (standards/)").snapshot_id
                step.count(snapshot_id=published)
        running.done(snapshot_id=published)
    return ReferenceOutcome(city.key, city.name, result, published)
