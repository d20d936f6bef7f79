"""Pages of the library domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
