// Gatehouse hybrid-app host for Android: documented source, NOT compiled or tested in this repository (no
// Android SDK here). The reference host that runs and is tested is examples/shop/hybrid/gjs/host.js
// (WebKitGTK); this file follows the same contract (packages/policy/src/contract/native.ts) and the same
// duties (docs/hybrid-apps.md). Kotlin, androidx.webkit 1.8+ (WebViewCompat.addWebMessageListener),
// androidx.browser (Custom Tabs), OkHttp 4, androidx.security (EncryptedSharedPreferences).

package com.example.shop.gatehouse

import android.content.Context
import android.net.Uri
import androidx.browser.customtabs.CustomTabsIntent
import androidx.security.crypto.EncryptedSharedPreferences
import androidx.security.crypto.MasterKey
import androidx.webkit.JavaScriptReplyProxy
import androidx.webkit.WebMessageCompat
import androidx.webkit.WebViewCompat
import androidx.webkit.WebViewFeature
import android.webkit.WebView
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import org.json.JSONObject
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.Base64

/** The allow-lists of the bridge contract (@gatehouse/policy's `bridge*` constants). */
object BridgeContract {
  const val NAME = "gatehouse"
  val requestHeaders = setOf("accept", "content-type", "traceparent", "x-csrf", "idempotency-key")
  val responseHeaders = listOf("content-type", "retry-after", "etag", "cache-control")
  val authActions = mapOf(
    "/auth/session" to "GET", "/auth/session/extend" to "POST", "/auth/logout" to "POST", "/auth/pending" to "POST", "/auth/tenant" to "POST",
    "/auth/sessions" to "GET",
  )
  // DELETE /auth/pending/{remote}: the name as `pendingActionNamePattern` reads it.
  val pendingTake = Regex("^/auth/pending/[A-Za-z][A-Za-z0-9._-]{0,63}$")
  // DELETE /auth/sessions/{handle} and /others: the handle as `sessionHandlePattern` reads it.
  val sessionsEnd = Regex("^/auth/sessions/(others|[A-Za-z0-9_-]{12})$")
  val methods = setOf("GET", "POST", "PUT", "PATCH", "DELETE")
  const val BODY_BYTES = 256 * 1024

  fun pathAllowed(method: String, path: String): Boolean {
    if (!path.startsWith("/") || path.length > 2048 || path.contains('\\')) return false
    val pathname = path.substringBefore('?')
    val lower = pathname.lowercase()
    if ("//" in pathname || "%2f" in lower || "%5c" in lower || "%2e" in lower) return false
    if (pathname.split('/').any { it == "." || it == ".." }) return false
    authActions[pathname]?.let { return method == it }
    if (pendingTake.matches(pathname) || sessionsEnd.matches(pathname)) return method == "DELETE"
    return pathname.startsWith("/api/") && method in methods
  }
}

class GatehouseHost(
  private val context: Context,
  private val bff: String,          // https://shop.example.com
  private val appOrigin: String,    // https://app.shop.example.com: the only origin the listener accepts
) {
  private val redirect = "com.example.shop:/signed-in"   // registered in GATEHOUSE_NATIVE_REDIRECT_URIS
  private val http = OkHttpClient.Builder().followRedirects(false).build()   // no CookieJar: nothing stored
  private val prefs = EncryptedSharedPreferences.create(
    context, "gatehouse", MasterKey.Builder(context).setKeyScheme(MasterKey.KeyScheme.AES256_GCM).build(),
    EncryptedSharedPreferences.PrefKeyEncryptionScheme.AES256_SIV,
    EncryptedSharedPreferences.PrefValueEncryptionScheme.AES256_GCM,
  )
  private var pending: Triple<String, String, String>? = null   // verifier, state, redirect

  /** `window.gatehouse` in the page, for the main frame of the app's origin only (the origin rule). */
  fun install(webView: WebView) {
    check(WebViewFeature.isFeatureSupported(WebViewFeature.WEB_MESSAGE_LISTENER))
    WebViewCompat.addWebMessageListener(webView, BridgeContract.NAME, setOf(appOrigin)) { _, message, origin, isMainFrame, reply ->
      onMessage(message, origin.toString(), isMainFrame, reply)
    }
  }

  /** Sign-in in a Custom Tab (the system browser), never in the WebView: RFC 8252 with PKCE S256. */
  fun signIn() {
    val bytes = ByteArray(32).also { SecureRandom().nextBytes(it) }
    val verifier = b64(bytes)
    val challenge = b64(MessageDigest.getInstance("SHA-256").digest(verifier.toByteArray()))
    val state = b64(ByteArray(16).also { SecureRandom().nextBytes(it) })
    pending = Triple(verifier, state, redirect)
    val url = Uri.parse("$bff/auth/native/authorize").buildUpon()
      .appendQueryParameter("redirect_uri", redirect).appendQueryParameter("state", state)
      .appendQueryParameter("code_challenge", challenge).appendQueryParameter("code_challenge_method", "S256").build()
    CustomTabsIntent.Builder().build().launchUrl(context, url)
  }

  /** From the activity that handles `com.example.shop:/signed-in` (an intent filter): redeem the code. */
  fun onRedirect(uri: Uri) {
    val (verifier, state, redirectUri) = pending ?: return
    pending = null
    if (uri.getQueryParameter("state") != state) return
    val code = uri.getQueryParameter("code") ?: return
    val body = JSONObject(mapOf("grant_type" to "authorization_code", "code" to code,
      "code_verifier" to verifier, "redirect_uri" to redirectUri)).toString()
    Thread {
      http.newCall(Request.Builder().url("$bff/auth/native/token")
        .post(body.toRequestBody("application/json".toMediaType())).build()).execute().use { answer ->
        if (answer.code == 200) prefs.edit().putString("handle", JSONObject(answer.body!!.string()).getString("handle")).apply()
      }
    }.start()
  }

  private fun onMessage(message: WebMessageCompat, origin: String, isMainFrame: Boolean, reply: JavaScriptReplyProxy) {
    // The page side (@gatehouse/shell/native) sends {"id", "message"} and matches the answer by id.
    val envelope = JSONObject(message.data ?: return)
    val id = envelope.optInt("id")
    fun answer(value: Any?) = reply.postMessage(JSONObject(mapOf("id" to id, "answer" to value)).toString())
    fun problem(status: Int, reason: String) = answer(JSONObject(mapOf("status" to status,
      "headers" to mapOf("content-type" to "application/problem+json"),
      "body" to JSONObject(mapOf("status" to status, "code" to "bad_request", "detail" to reason)).toString())))
    if (!isMainFrame || origin != appOrigin) return problem(403, "frame")
    val body = envelope.optJSONObject("message") ?: return problem(400, "malformed")
    if (body.optString("kind") == "next-event") return PushRelay.next { answer(it) }
    val method = body.optString("method")
    val path = body.optString("path")
    if (!BridgeContract.pathAllowed(method, path)) return problem(403, "path_not_allowed")
    val headers = body.optJSONObject("headers") ?: JSONObject()
    if (headers.keys().asSequence().any { it.lowercase() !in BridgeContract.requestHeaders }) return problem(403, "header_not_allowed")
    val text = if (body.isNull("body")) null else body.optString("body")
    if ((text?.toByteArray()?.size ?: 0) > BridgeContract.BODY_BYTES) return problem(413, "body_too_large")
    Thread {
      val request = Request.Builder().url("$bff$path").method(method, text?.toRequestBody("application/json".toMediaType()))
      headers.keys().forEach { request.header(it, headers.getString(it)) }
      prefs.getString("handle", null)?.let { request.header("cookie", it) }
      request.header("x-csrf", "1")
      if (method != "GET") request.header("origin", bff)
      http.newCall(request.build()).execute().use { response ->
        if (path.startsWith("/auth/logout")) prefs.edit().remove("handle").apply()
        val kept = BridgeContract.responseHeaders.mapNotNull { name -> response.header(name)?.let { name to it } }.toMap()
        answer(JSONObject(mapOf("status" to response.code, "headers" to kept, "body" to (response.body?.string() ?: ""))))
      }
    }.start()
  }

  private fun b64(bytes: ByteArray) = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
}

/** Holds `GET /auth/events` with the handle and answers each wait with the next `auth` event, or null. */
object PushRelay {
  fun next(answer: (Any?) -> Unit) { /* queue or wait, as bridge-host.ts does (left out of this sketch) */ }
}
