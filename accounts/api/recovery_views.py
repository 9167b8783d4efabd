"""API for password reset by e-mail (accounts.recovery)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import recovery
from controlpanel.api.schema import error_responses

PASSWORD_FIELD = {"write_only": True, "trim_whitespace": False, "max_length": settings.PASSWORD_MAX_LENGTH}


class PasswordResetInputSerializer(serializers.Serializer):
    identifier = serializers.CharField(max_length=254, help_text="The account's e-mail address or username.")


class PasswordResetOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(**PASSWORD_FIELD)


class PasswordResetConfirmOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    revoked = serializers.IntegerField(help_text="How many sessions ended.")


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=PasswordResetInputSerializer,
                   responses={202: PasswordResetOutputSerializer, **error_responses(400, 429, 503)},
                   description="E-mail a password reset link. The answer is the same whether or not the account exists.",
                   auth=[], tags=["auth"])
    def post(self, request):
        data = PasswordResetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.password_reset_request(identifier=data.validated_data["identifier"], client_ip=request.client_ip)
        return Response({"detail": recovery.RESET_REQUESTED_MESSAGE}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=PasswordResetConfirmInputSerializer,
                   responses={200: PasswordResetConfirmOutputSerializer, **error_responses(400, 429)},
                   description="Set a new password from a reset link (400 invalid_token when it is bad, used or "
                               "expired); every session of the account ends.",
                   auth=[], tags=["auth"])
    def post(self, request):
        data = PasswordResetConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revoked = recovery.password_reset_confirm(uidb64=data.validated_data["uid"], token=data.validated_data["token"],
                                                  new_password=data.validated_data["new_password"])
        return Response({"detail": "Your password is set. Log in with it.", "revoked": revoked})
