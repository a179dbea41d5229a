"""Paginated lists: `?page=N&page_size=M`, answered with the page's items, the total and the next page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


class PageIn(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def page_of(
    request: HttpRequest, queryset: QuerySet, paging: PageIn, present: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """One page of `queryset`, each item shown by `present`, with links to the next and previous pages."""
    count = queryset.count()
    start = (paging.page - 1) * paging.page_size
    items = [present(obj) for obj in queryset[start : start + paging.page_size]]

    def link(page: int) -> str:
        query = {**request.GET.dict(), "page": page, "page_size": paging.page_size}
        return f"{request.path}?{urlencode(query)}"

    return {
        "items": items,
        "count": count,
        "page": paging.page,
        "page_size": paging.page_size,
        "next": link(paging.page + 1) if start + paging.page_size < count else None,
        "previous": link(paging.page - 1) if paging.page > 1 else None,
    }
