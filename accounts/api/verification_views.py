"""API for e-mail verification and e-mail changes (accounts.verification)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import verification
from controlpanel.api.schema import error_responses


class EmailChangeInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    current_password = serializers.CharField(write_only=True, trim_whitespace=False,
                                             max_length=settings.PASSWORD_MAX_LENGTH)


class EmailStateOutputSerializer(serializers.Serializer):
    email = serializers.CharField(allow_blank=True, help_text="The current address (verified or not).")
    email_verified = serializers.BooleanField()
    pending_email = serializers.CharField(allow_blank=True, help_text="A new address waiting for its link, or empty.")


class EmailVerifyInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1024)


def _state(user) -> dict:
    return {"email": user.email, "email_verified": user.email_verified_at is not None,
            "pending_email": user.pending_email}


class EmailChangeView(APIView):
    @extend_schema(request=EmailChangeInputSerializer,
                   responses={202: EmailStateOutputSerializer, **error_responses(400, 401, 429)},
                   description="Ask to change your e-mail (needs your current password). The new address is "
                               "pending and gets a verification link; the old one stays current until it is used.",
                   tags=["auth"])
    def post(self, request):
        data = EmailChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = verification.email_change_request(user=request.user, **data.validated_data)
        return Response(_state(user), status=status.HTTP_202_ACCEPTED)


class EmailVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=EmailVerifyInputSerializer,
                   responses={200: EmailStateOutputSerializer, **error_responses(400, 429)},
                   description="Verify an address with the token from its link (400 invalid_token when it is "
                               "forged, expired or used).", auth=[], tags=["auth"])
    def post(self, request):
        data = EmailVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = verification.email_verify(token=data.validated_data["token"])
        return Response(_state(user))
