"""Webhook subscriptions over the API (the integrations role only, reviewers/roles.py). The secret is in the answer to POST and to
rotate-secret, and nowhere else."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import CursorPagination400
from api.permissions import ManagesIntegrations
from api.serializers import ErrorSerializer
from publishing import services
from publishing.models import SUBSCRIBABLE, WebhookDelivery, WebhookSubscription

ERRORS = {  # what only webhooks say; the answers every endpoint gives are in api/schema.py
    403: OpenApiResponse(ErrorSerializer, description="Not the integrations role."),
    404: OpenApiResponse(ErrorSerializer, description="No such subscription."),
}


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "description",
            "active",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="whsec_…; shown only in this answer.")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2048, help_text="http(s) URL; internal addresses are refused.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE),
        min_length=1,
        max_length=len(SUBSCRIBABLE),
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)


class WebhookUpdateSerializer(WebhookInputSerializer):
    url = serializers.CharField(max_length=2048, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE),
        min_length=1,
        max_length=len(SUBSCRIBABLE),
        required=False,
    )
    active = serializers.BooleanField(required=False, help_text="Re-enable after a 410, or pause deliveries.")


class DeliverySerializer(serializers.ModelSerializer):
    msg_id = serializers.CharField(source="message.msg_id", read_only=True)
    event_type = serializers.CharField(source="message.event_type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "msg_id",
            "event_type",
            "attempt",
            "attempted_at",
            "url",
            "status_code",
            "error",
            "error_message",
            "duration_ms",
            "response_snippet",
            "succeeded",
        ]
        read_only_fields = fields


class DeliveryPagination(CursorPagination400):
    ordering = ("-attempted_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema(tags=["webhooks"])
class WebhookViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook subscriptions: signed deliveries of verdict.* and article.* events (Standard Webhooks)."""

    permission_classes = [ManagesIntegrations]
    serializer_class = WebhookSerializer
    queryset = WebhookSubscription.objects.filter(watch__isnull=True)  # a watch's target is its owner's
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(request=WebhookInputSerializer, responses={201: WebhookWithSecretSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        data = self.validated(WebhookInputSerializer, request)
        subscription = services.create_subscription(**data, created_by=request.user)
        return Response(WebhookWithSecretSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookUpdateSerializer, responses={200: WebhookSerializer, **ERRORS})
    def partial_update(self, request, *args, **kwargs):
        data = self.validated(WebhookUpdateSerializer, request)
        subscription = services.update_subscription(subscription=self.get_object(), **data)
        return Response(WebhookSerializer(subscription).data)

    @extend_schema(request=None, responses={200: WebhookWithSecretSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """New secret; the old one keeps signing (a second signature) for FACTCHECK_WEBHOOK_SECRET_GRACE."""
        subscription = services.rotate_secret(subscription=self.get_object())
        return Response(WebhookWithSecretSerializer(subscription).data)

    @extend_schema(responses={200: DeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination)
    def deliveries(self, request, pk=None):
        """Every delivery attempt to this subscription, newest first."""
        attempts = WebhookDelivery.objects.filter(message__subscription=self.get_object()).select_related(
            "message"
        )
        page = self.paginate_queryset(attempts)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    def validated(self, serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
