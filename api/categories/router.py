"""GET /v1/categories: the taxonomy, named in the caller's language."""

from fastapi import APIRouter, Request

from api.auth import CurrentPrincipal
from api.deps import TaxonomyDep
from api.errors import ERRORS
from api.reports.schemas import AgencyOut, CategoryOut
from core.i18n import negotiate_locale

router = APIRouter(prefix="/v1", tags=["categories"])


@router.get("/categories", response_model=list[CategoryOut], responses=ERRORS, summary="Report categories")
async def list_categories(request: Request, _: CurrentPrincipal, taxonomy: TaxonomyDep) -> list[CategoryOut]:
    english = negotiate_locale(request.headers.get("accept-language")) == "en"
    out = []
    for category in taxonomy.categories.values():
        agency = taxonomy.agencies[category.agency]
        out.append(
            CategoryOut(
                code=category.code,
                name=category.name_en if english else category.name_vi,
                name_vi=category.name_vi,
                name_en=category.name_en,
                routing=category.routing,
                agency=AgencyOut(code=agency.code, name=agency.name_en if english else agency.name_vi),
            )
        )
    return out
