"""Azure AD and cloud discovery: /metadata/endpoints, instance discovery, user realm, OpenID
configuration, JWKS, the token endpoint (client secret, client certificate assertion, password and
refresh-token grants), and the check of ARM bearer tokens (audience, expiry) that every ARM route
passes first."""

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .clouds import ARM_AUDIENCES
from .wire import Resp, aad_error, b64url, b64url_decode, cloud_error


def userrealm(sim, req):
    return Resp(200, {"ver": "1.0", "account_type": "Managed", "domain_name": req.params["user"].split("@")[-1],
                      "cloud_instance_name": req.host, "cloud_audience_urn": "urn:federation:MicrosoftOnline"})


def jwks(sim, req):
    return Resp(200, {"keys": []})


def _tenant_known(sim, tenant):
    t = tenant.lower()
    return t in sim.state.tenants or t in ("common", "organizations")


def _tenant_not_found(sim, tenant, openid=False):
    desc = ("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing "
            "into the correct cloud. Check with your subscription administrator, this may happen if there "
            "are no active subscriptions for the tenant." % tenant)
    return aad_error(400, "invalid_tenant" if openid else "invalid_request", 90002, desc, sim)


def openid_config(sim, req):
    tenant, v2 = req.params["tenant"], bool(req.params.get("v2"))
    if not _tenant_known(sim, tenant):
        return _tenant_not_found(sim, tenant, openid=True)
    if tenant.lower() in ("common", "organizations"):
        tid = "{tenantid}"
    else:
        tid = tenant
    b = req.base
    ver = "/v2.0" if v2 else ""
    body = {
        "token_endpoint": "%s/%s/oauth2%s/token" % (b, tenant, ver),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                  "client_secret_basic"],
        "jwks_uri": "%s/%s/discovery%s/keys" % (b, tenant, ver),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": "%s/%s%s" % (b, tid, ver) if v2 else "%s/%s/" % (b, tid),
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "%s/oidc/userinfo" % b,
        "authorization_endpoint": "%s/%s/oauth2%s/authorize" % (b, tenant, ver),
        "device_authorization_endpoint": "%s/%s/oauth2%s/devicecode" % (b, tenant, ver),
        "http_logout_supported": True, "frontchannel_logout_supported": True,
        "end_session_endpoint": "%s/%s/oauth2%s/logout" % (b, tenant, ver),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "tid", "ver", "oid"],
        "tenant_region_scope": None,
        "cloud_instance_name": req.host.split(":")[0],
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }
    return Resp(200, body)


def instance_discovery(sim, req):
    auth_ep = req.query.get("authorization_endpoint", "")
    tenant = "common"
    m = re.match(r"^https?://[^/]+/([^/]+)/", auth_ep)
    if m:
        tenant = m.group(1)
    host = req.host
    return Resp(200, {
        "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (req.base, tenant),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})


def metadata(sim, req):
    b = req.base
    api = req.query.get("api-version", "")
    audiences = ["https://management.core.windows.net/", b + "/"]
    if api and api >= "2022-09-01":
        return Resp(200, [{
            "portal": b + "/", "name": "AzureSimulator",
            "authentication": {"loginEndpoint": b + "/", "audiences": audiences,
                               "tenant": "common", "identityProvider": "AAD"},
            "media": b + "/", "graphAudience": "https://graph.windows.net/", "graph": "https://graph.windows.net/",
            "suffixes": {"keyVaultDns": "vault.simulator.local", "storage": "core.simulator.local",
                         "acrLoginServer": "azurecr.simulator.local",
                         "sqlServerHostname": ".database.simulator.local"},
            "batch": b + "/", "resourceManager": b + "/",
            "vmImageAliasDoc": b + "/aliases.json", "activeDirectoryDataLake": b + "/",
            "sqlManagement": b + "/", "microsoftGraphResourceId": "https://graph.microsoft.com/",
            "appInsightsResourceId": b + "/", "appInsightsTelemetryChannelResourceId": b + "/",
            "attestationResourceId": b + "/", "synapseAnalyticsResourceId": b + "/",
            "logAnalyticsResourceId": b + "/", "ossrDbmsResourceId": b + "/",
            "gallery": b + "/"}])
    # UNVERIFIED: without api-version (or an old one such as 2015-01-01) we answer the single
    # object Azure Stack Hub documents for 2015-01-01 rather than a 400.
    return Resp(200, {"galleryEndpoint": b + "/", "graphEndpoint": "https://graph.windows.net/",
                      "portalEndpoint": b + "/", "resourceManager": b + "/",
                      "authentication": {"loginEndpoint": b + "/", "audiences": audiences}})


def _issue_token(sim, principal, aud, scope_str, extra_claims=None, base=None):
    st = sim.state
    now = int(time.time())
    lifetime = st.token_lifetime
    claims = {"aud": aud, "iss": "%s/%s/" % (base or sim.base_url, principal["tenant"]), "iat": now, "nbf": now,
              "exp": now + lifetime, "tid": principal["tenant"], "oid": principal["object_id"],
              "sub": principal["object_id"], "ver": "1.0", "jti": secrets.token_hex(8)}
    if principal["kind"] == "app":
        claims["appid"] = principal["client_id"]
        claims["idtyp"] = "app"
    else:
        claims["upn"] = principal["username"]
        claims["appid"] = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
    if extra_claims:
        claims.update(extra_claims)
    header = b64url(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "armsim"}))
    payload = b64url(json.dumps(claims, separators=(",", ":")))
    sig = b64url(hmac.new(sim.token_secret, (header + "." + payload).encode(), hashlib.sha256).digest())
    token = header + "." + payload + "." + sig
    with sim.lock:
        st.tokens[token] = {"principal": principal["name"], "exp": now + lifetime, "aud": aud}
    body = {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
            "access_token": token}
    return body


def token_endpoint(sim, req):
    tenant, v2 = req.params["tenant"], bool(req.params.get("v2"))
    st = sim.state
    if not _tenant_known(sim, tenant):
        return _tenant_not_found(sim, tenant)
    form = dict(parse_qsl(req.raw.decode("utf-8", "replace"), keep_blank_values=True))
    # client_secret_basic
    authz = req.headers.get("Authorization") or ""
    if authz.lower().startswith("basic "):
        try:
            cid, _unused, csec = base64.b64decode(authz[6:]).decode().partition(":")
            form.setdefault("client_id", unquote(cid))
            form.setdefault("client_secret", unquote(csec))
        except ValueError:
            pass
    grant = form.get("grant_type", "")
    if v2:
        scope = form.get("scope", "")
        resource_scopes = [s for s in scope.split() if s not in ("openid", "profile", "offline_access")]
        if not resource_scopes:
            return aad_error(400, "invalid_scope", 70011, "The provided value for the input parameter "
                             "'scope' is not valid.", sim)
        rs = resource_scopes[0]
        aud = rs[:-len("/.default")] if rs.endswith("/.default") else rs.rsplit("/", 1)[0]
    else:
        aud = form.get("resource", "")
        scope = aud
    tenant_l = tenant.lower()

    def tenant_ok(p):
        return tenant_l in ("common", "organizations") or p["tenant"].lower() == tenant_l

    if grant == "client_credentials":
        cid = form.get("client_id", "")
        app = next((p for p in st.principals.values()
                    if p["kind"] == "app" and (p["client_id"] or "").lower() == cid.lower()), None)
        if app is None or not tenant_ok(app):
            return aad_error(400, "unauthorized_client", 700016,
                             "Application with identifier '%s' was not found in the directory '%s'. This "
                             "can happen if the application has not been installed by the administrator of "
                             "the tenant or consented to by any user in the tenant. You may have sent your "
                             "authentication request to the wrong tenant." % (cid, tenant), sim)
        if "client_assertion" in form:
            err = _check_assertion(sim, form, app, req)
            if err is not None:
                return err
        elif "client_secret" in form:
            if not app["secret"] or not hmac.compare_digest(str(app["secret"]), form["client_secret"]):
                return aad_error(401, "invalid_client", 7000215,
                                 "Invalid client secret provided. Ensure the secret being sent in the request "
                                 "is the client secret value, not the client secret ID, for a secret added to "
                                 "app '%s'." % app["client_id"], sim)
        else:
            return aad_error(401, "invalid_client", 7000218,
                             "The request body must contain the following parameter: 'client_assertion' or "
                             "'client_secret'.", sim)
        req.principal = app
        return Resp(200, _issue_token(sim, app, aud, scope, base=req.base))
    if grant == "password":
        user = next((p for p in st.principals.values()
                     if p["kind"] == "user" and p["username"].lower() == form.get("username", "").lower()), None)
        password_ok = user is not None and hmac.compare_digest(str(user["password"]), form.get("password", ""))
        if user is None or not tenant_ok(user) or not password_ok:
            return aad_error(400, "invalid_grant", 50126, "Error validating credentials due to invalid "
                             "username or password.", sim)
        req.principal = user
        return Resp(200, _user_token_body(sim, user, aud, scope, form, req.base))
    if grant == "refresh_token":
        rec = st.refresh_tokens.get(form.get("refresh_token", ""))
        if rec is None:
            return aad_error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or "
                             "invalid.", sim)
        user = st.principals[rec]
        return Resp(200, _user_token_body(sim, user, aud, scope, form, req.base))
    return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type "
                     "'%s'." % grant, sim)


def _user_token_body(sim, user, aud, scope, form, base=None):
    body = _issue_token(sim, user, aud, scope, base=base)
    now = int(time.time())
    client_id = form.get("client_id", "04b07795-8ddb-461a-bbee-02f9e1bf7b46")
    idt = {"aud": client_id, "iss": "%s/%s/v2.0" % (base or sim.base_url, user["tenant"]), "iat": now, "nbf": now,
           "exp": now + 3600, "oid": user["object_id"], "sub": user["object_id"], "tid": user["tenant"],
           "preferred_username": user["username"], "name": user["username"], "ver": "2.0"}
    body["id_token"] = (b64url(json.dumps({"typ": "JWT", "alg": "none"})) + "." +
                        b64url(json.dumps(idt)) + ".")
    body["client_info"] = b64url(json.dumps({"uid": user["object_id"], "utid": user["tenant"]}))
    rt = secrets.token_urlsafe(32)
    with sim.lock:
        sim.state.refresh_tokens[rt] = user["name"]
    body["refresh_token"] = rt
    body["scope"] = scope
    return body


def _check_assertion(sim, form, app, req):
    def bad(code, msg):
        return aad_error(401, "invalid_client", code, msg, sim)
    if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        return aad_error(400, "invalid_request", 50027, "Invalid client_assertion_type.", sim)
    try:
        h64, p64, s64 = form["client_assertion"].split(".")
        header = json.loads(b64url_decode(h64))
        claims = json.loads(b64url_decode(p64))
        sig = b64url_decode(s64)
    except (ValueError, KeyError):
        return bad(50027, "JWT token is invalid or malformed.")
    kid = header.get("x5t#S256") or header.get("x5t")
    key = None
    if kid:
        try:  # MSAL sends standard base64 with padding; RFC 7515 says base64url: accept both
            key = app["cert_keys"].get(b64url(b64url_decode(kid.replace("+", "-").replace("/", "_"))))
        except ValueError:
            key = None
    if key is None:
        return bad(700027, "The certificate with identifier used to sign the client assertion is not "
                   "registered on application. [Reason - The key was not found., Thumbprint of key used by "
                   "client: '%s']" % kid)
    alg = header.get("alg")
    signed = (h64 + "." + p64).encode()
    try:
        if alg == "RS256":
            key.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256":
            key.verify(sig, signed, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                salt_length=padding.PSS.AUTO), hashes.SHA256())
        else:
            return bad(700027, "Client assertion contains an invalid signature algorithm '%s'." % alg)
    except InvalidSignature:
        return bad(700027, "Client assertion failed signature validation.")
    now = time.time()
    if claims.get("exp", 0) < now - 300:
        return bad(700024, "Client assertion is not within its valid time range.")
    if claims.get("iss") != app["client_id"] or claims.get("sub") != app["client_id"]:
        return bad(700023, "Client assertion audience claim does not match Realm issuer.")
    aud = claims.get("aud", "")
    if "/oauth2/" not in str(aud):
        return bad(700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
    return None


def authenticate(sim, req):
    st = sim.state
    authz = req.headers.get("Authorization")
    tenant = st.main_principal["tenant"]
    challenge = 'Bearer authorization_uri="%s/%s", error="invalid_token"' % (req.base, tenant)
    if not authz:
        return cloud_error(401, "AuthenticationFailed",
                           "Authentication failed. The 'Authorization' header is missing.",
                           headers={"WWW-Authenticate": 'Bearer authorization_uri="%s/%s", '
                                    'error="invalid_token", error_description="The authentication failed '
                                    'because of missing \'Authorization\' header."' % (req.base, tenant)})
    if not authz.lower().startswith("bearer "):
        return cloud_error(401, "AuthenticationFailed",
                           "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                           headers={"WWW-Authenticate": challenge})
    token = authz[7:].strip()
    with sim.lock:
        rec = st.tokens.get(token)
    if rec is None:
        return cloud_error(401, "InvalidAuthenticationToken",
                           "The access token is invalid.",
                           headers={"WWW-Authenticate": challenge + ', error_description="The access token '
                                    'is invalid."'})
    now = time.time()
    if rec["exp"] <= now:
        # Real ARM answers ExpiredAuthenticationToken for an expired (but otherwise valid) token.
        def fmt(stamp):
            return datetime.fromtimestamp(stamp, timezone.utc).strftime("%m/%d/%Y %H:%M:%S")
        return cloud_error(401, "ExpiredAuthenticationToken",
                           "The access token expiry UTC time '%s' is earlier than current UTC time '%s'."
                           % (fmt(rec["exp"]), fmt(now)),
                           headers={"WWW-Authenticate": challenge + ', error_description="The access token '
                                    'expiry UTC time \'%s\' is earlier than current UTC time \'%s\'."'
                                    % (fmt(rec["exp"]), fmt(now))})
    aud = rec["aud"].rstrip("/")
    allowed = {sim.base_url, req.base, "https://management.core.windows.net",
               "https://management.azure.com"}
    allowed.update(ARM_AUDIENCES.get(req.host.lower(), ()))
    if aud not in allowed:
        return cloud_error(401, "InvalidAuthenticationTokenAudience",
                           "The access token has been obtained for wrong audience or resource '%s'. It should "
                           "exactly match with one of the allowed audiences '%s'." % (
                               rec["aud"], "','".join(sorted(a + "/" for a in allowed))),
                           headers={"WWW-Authenticate": challenge})
    req.principal = st.principals[rec["principal"]]
    return None
