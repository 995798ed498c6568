"""``/v1/brands/{brand}/handles``: the handles a brand answers from (the console's choice of
the replying handle)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.api.brands import service as brands
from services.api.deps import Reader, State

router = APIRouter(prefix="/v1", tags=["brands"])
BrandId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_.\-]{1,64}$")]


@router.get("/brands/{brand}/handles", summary="The brand's handles, to reply from")
async def list_handles(brand: BrandId, _: Reader, state: State) -> brands.BrandHandles:
    return await brands.brand_handles(state.es, state.prefix, brand)
