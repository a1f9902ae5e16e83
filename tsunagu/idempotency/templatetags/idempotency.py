"""{% idempotency_key %}: the hidden one-time key of a form whose view runs @once_per_key."""

from django import template
from django.utils.html import format_html

from tsunagu.idempotency.services import FIELD, new_key

register = template.Library()


@register.simple_tag
def idempotency_key():
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())
