"""Pages of the capacity domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
