from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.models import AuthSession
from controlpanel.api import ratelimit
from controlpanel.api.schema import REQUEST_BODY_EXTENSION, error_responses
from controlpanel.errors import ApplicationError, NotFoundError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _tokens(pair) -> dict:
    return s.TokenPairOutputSerializer(pair).data


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ratelimit.RegisterAddressRateLimit]

    @extend_schema(request=s.RegisterInputSerializer, responses={201: s.RegisterOutputSerializer, **error_responses(400, 429, 503)},
                   description="Create an account and sign in: the new user and a token pair. A verification e-mail "
                               "is sent to the address given.", auth=[], tags=["auth"])
    def post(self, request):
        data = s.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        from accounts.verification import send_verification

        send_verification(user=user)
        pair = services.user_login(user=user, user_agent=request.META.get("HTTP_USER_AGENT", ""), client_ip=request.client_ip)
        body = {"user": s.UserOutputSerializer(user).data, "tokens": _tokens(pair)}
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ratelimit.LoginAddressRateLimit]

    @extend_schema(request=s.LoginInputSerializer, responses={200: s.TokenPairOutputSerializer, **error_responses(400, 401, 429, 503)},
                   description="Sign in with a username or e-mail and a password: a new session and its token pair "
                               "(401 invalid_credentials otherwise).", auth=[], tags=["auth"])
    def post(self, request):
        data = s.LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.login_with_password(identifier=data.validated_data["username"],
                                            password=data.validated_data["password"], client_ip=request.client_ip)
        pair = services.user_login(user=user, user_agent=request.META.get("HTTP_USER_AGENT", ""), client_ip=request.client_ip)
        return Response(_tokens(pair), headers=NO_STORE)


class RefreshView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.RefreshInputSerializer, responses={200: s.TokenPairOutputSerializer, **error_responses(400, 401, 429)},
                   description="Exchange a refresh token for a new pair. Each refresh token works once; reusing one "
                               "revokes its session.", auth=[], tags=["auth"])
    def post(self, request):
        data = s.RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.token_refresh(raw_refresh=data.validated_data["refresh"])
        return Response(_tokens(pair), headers=NO_STORE)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None, **error_responses(401, 429)},
                   description="End the session making this request: its tokens are refused from the next request.",
                   tags=["auth"])
    def post(self, request):
        session_id = getattr(request._request, "auth_session_id", None)
        if session_id:
            services.session_revoke(session=AuthSession(pk=session_id), reason="logout")
        else:  # a browser session calling the API: end the Django session too
            from django.contrib.auth import logout

            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: s.UserOutputSerializer, **error_responses(401, 429)},
                   description="Your account: username, e-mail (verified when, and any address waiting for its link), names, "
                               "staff flag and join date.",
                   tags=["auth"])
    def get(self, request):
        return Response(s.UserOutputSerializer(request.user).data)

    @extend_schema(request=s.UserUpdateInputSerializer, responses={200: s.UserOutputSerializer, **error_responses(400, 401, 429)},
                   description="Change your first and last name; the e-mail changes through auth/email/ only.", tags=["auth"])
    def patch(self, request):
        if isinstance(request.data, dict) and "email" in request.data:
            raise ApplicationError("Change the e-mail through auth/email/ (it needs your current password and a "
                                   "verification link).", code="email_change_needs_verification",
                                   details={"email": ["Use POST /api/v1/auth/email/ to change the e-mail."]})
        data = s.UserUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return Response(s.UserOutputSerializer(user).data)

    @extend_schema(request=s.AccountDeleteInputSerializer, responses={204: None, **error_responses(400, 401, 429)},
                   description="Delete your account and everything the product holds about you; needs your password "
                               "(400 wrong_password when it is not).",
                   extensions={REQUEST_BODY_EXTENSION: s.ACCOUNT_DELETE_BODY}, tags=["auth"])
    def delete(self, request):
        from accounts.deletion import account_delete

        data = s.AccountDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account_delete(user=request.user, password=data.validated_data["password"])
        if not getattr(request._request, "auth_session_id", None):
            from django.contrib.auth import logout

            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListView(generics.ListAPIView):
    serializer_class = s.SessionOutputSerializer

    def get_queryset(self):
        return selectors.session_list_active(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(),
                "current_session_id": getattr(self.request._request, "auth_session_id", None)}

    @extend_schema(responses={200: s.SessionOutputSerializer(many=True), **error_responses(401, 429)},
                   description="Your active sessions, the one making this request marked current.", tags=["auth"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.SessionsRevokedOutputSerializer, **error_responses(401, 429)},
                   description="Revoke every session of yours except the one making this request.", tags=["auth"],
                   operation_id="auth_sessions_revoke_others")
    def delete(self, request):
        revoked = services.sessions_revoke_all(
            user=request.user, reason="revoked_by_user", keep_session_id=getattr(request._request, "auth_session_id", None)
        )
        return Response({"revoked": revoked})


class SessionDetailView(APIView):
    @extend_schema(request=None, responses={204: None, **error_responses(401, 404, 429)},
                   description="Revoke one of your sessions (404 when it is not one of your active sessions).",
                   tags=["auth"])
    def delete(self, request, session_id):
        session = selectors.session_list_active(user=request.user).filter(pk=session_id).first()
        if session is None:
            raise NotFoundError("No such active session.")
        services.session_revoke(session=session, reason="revoked_by_user")
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(request=s.PasswordChangeInputSerializer,
                   responses={200: s.SessionsRevokedOutputSerializer, **error_responses(400, 401, 429)},
                   description="Change your password (needs the current one); every other session is revoked.",
                   tags=["auth"])
    def post(self, request):
        data = s.PasswordChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revoked = services.password_change(
            user=request.user, keep_session_id=getattr(request._request, "auth_session_id", None), **data.validated_data
        )
        if not getattr(request._request, "auth_session_id", None):
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request._request, request.user)
        return Response({"revoked": revoked})


class UserConfigView(APIView):
    @extend_schema(responses={200: s.PreferencesSerializer, **error_responses(401, 429)},
                   description="Your preferences: theme, default search mode, preferred style, daily goal, time zone and the "
                               "weekly progress e-mail.",
                   tags=["config"])
    def get(self, request):
        return Response(s.PreferencesSerializer(services.preferences_get(user=request.user)).data)

    @extend_schema(request=s.PreferencesSerializer, responses={200: s.PreferencesSerializer, **error_responses(400, 401, 429)},
                   description="Change some or all of your preferences; fields left out keep their values.",
                   tags=["config"])
    def put(self, request):
        data = s.PreferencesSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        prefs = services.preferences_update(user=request.user, **data.validated_data)
        return Response(s.PreferencesSerializer(prefs).data)


class SystemConfigView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: inline_serializer("SystemConfig", {"version": serializers.CharField(),
                                                                      "features": serializers.DictField(),
                                                                      "limits": serializers.DictField(),
                                                                      "tokens": serializers.DictField()}),
                              **error_responses(429)},
                   description="What this deployment offers clients: version, features, limits and token lifetimes.",
                   auth=[], tags=["config"])
    def get(self, request):
        from controlpanel.features import system_facts

        return Response(system_facts())
