"""Pages of the coalitions domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
