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
import android.webkit.WebResourceRequest
import android.webkit.WebView
import android.webkit.WebViewClient
import okhttp3.Call
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import org.json.JSONObject
import java.io.IOException
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.Base64
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

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
  private var returnTo = "/"
  private var webView: WebView? = null
  /**
   * The handle of a session that expired, in memory only, until the next sign-in or a logout: as a browser
   * keeps its dead cookie, it is sent only with `POST /auth/pending` (a remote's unsent work waits for the
   * next sign-in) and with that sign-in's redemption (the BFF carries the work to the new session).
   */
  @Volatile private var expired: String? = null

  /** `window.gatehouse` in the page, for the main frame of the app's origin only (the origin rule). */
  fun install(webView: WebView) {
    check(WebViewFeature.isFeatureSupported(WebViewFeature.WEB_MESSAGE_LISTENER))
    this.webView = webView
    WebViewCompat.addWebMessageListener(webView, BridgeContract.NAME, setOf(appOrigin)) { _, message, origin, isMainFrame, reply ->
      onMessage(message, origin.toString(), isMainFrame, reply)
    }
    // The shell sends the WebView to `<appOrigin>/auth/login?returnTo=…` (a sign-in, or a step-up with
    // `acr_values` and `max_age`): the host takes it to the system browser instead, with the same options.
    webView.webViewClient = object : WebViewClient() {
      override fun shouldOverrideUrlLoading(view: WebView, request: WebResourceRequest): Boolean {
        val url = request.url
        if (!url.toString().startsWith("$appOrigin/auth/")) return false
        if (url.path == "/auth/login") {
          returnTo = url.getQueryParameter("returnTo") ?: "/"
          signIn(listOf("acr_values", "max_age").mapNotNull { name -> url.getQueryParameter(name)?.let { name to it } })
        }
        return true
      }
    }
  }

  /** Sign-in in a Custom Tab (the system browser), never in the WebView: RFC 8252 with PKCE S256. */
  fun signIn(stepUp: List<Pair<String, String>> = emptyList()) {
    val bytes = ByteArray(32).also { SecureRandom().nextBytes(it) }
    val verifier = b64(bytes)
    val challenge = b64(MessageDigest.getInstance("SHA-256").digest(verifier.toByteArray()))
    val state = b64(ByteArray(16).also { SecureRandom().nextBytes(it) })
    pending = Triple(verifier, state, redirect)
    val url = Uri.parse("$bff/auth/native/authorize").buildUpon()
      .appendQueryParameter("redirect_uri", redirect).appendQueryParameter("state", state)
      .appendQueryParameter("code_challenge", challenge).appendQueryParameter("code_challenge_method", "S256")
      .apply { stepUp.forEach { (name, value) -> appendQueryParameter(name, value) } }.build()
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
    // The handle still held (a step-up) or the expired one: the BFF replaces that session and carries the
    // action a remote left there to the new one (the same user's only).
    val held = prefs.getString("handle", null) ?: expired
    // The replaced session's stream stops first: its `logged-out` must not reach the new handle.
    PushRelay.stop()
    Thread {
      val redeem = Request.Builder().url("$bff/auth/native/token").post(body.toRequestBody("application/json".toMediaType()))
      held?.let { redeem.header("cookie", it) }
      http.newCall(redeem.build()).execute().use { answer ->
        if (answer.code == 200) {
          prefs.edit().putString("handle", JSONObject(answer.body!!.string()).getString("handle")).apply()
          expired = null
          // The push channel (logout, expiry, role or tenant change), held by the host with the handle. When
          // the session ends the handle goes; an expired one is kept in memory for the work left behind.
          PushRelay.start(bff, { prefs.getString("handle", null) }) { expiredSession ->
            expired = if (expiredSession) prefs.getString("handle", null) else null
            prefs.edit().remove("handle").apply()
          }
          webView?.post { webView?.loadUrl("$appOrigin$returnTo") }
        }
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
      (prefs.getString("handle", null) ?: expired.takeIf { path == "/auth/pending" })?.let { request.header("cookie", it) }
      request.header("x-csrf", "1")
      if (method != "GET") request.header("origin", bff)
      http.newCall(request.build()).execute().use { response ->
        if (path.startsWith("/auth/logout")) {
          prefs.edit().remove("handle").apply()
          expired = null
          PushRelay.stop()
          // The app's session has ended; the issuer's, in the Custom Tab's browser, has not: end it there too
          // (the BFF's sign-out page sends the browser on to the issuer, which may ask the user to confirm).
          if (response.code == 200) CustomTabsIntent.Builder().build().launchUrl(context, Uri.parse("$bff/auth/logout/end"))
        }
        val kept = BridgeContract.responseHeaders.mapNotNull { name -> response.header(name)?.let { name to it } }.toMap()
        answer(JSONObject(mapOf("status" to response.code, "headers" to kept, "body" to (response.body?.string() ?: ""))))
      }
    }.start()
  }

  private fun b64(bytes: ByteArray) = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
}

/**
 * Holds `GET /auth/events` with the handle (Server-Sent Events, on a thread of its own and a client of its own)
 * and answers the page's waits (`next-event`) with each `auth` event's data (an AuthMessage as JSON text), or
 * null after 25 s; an event no page waits for is queued. A `logged-out` or `session-expired` ends the stream
 * (the host forgets the handle), a broken one is opened again after 5 s while a handle is held. As
 * examples/shop/hybrid/bridge-host.ts does.
 */
object PushRelay {
  private val http = OkHttpClient.Builder().readTimeout(0, TimeUnit.SECONDS).followRedirects(false).build()
  private val queue = ArrayDeque<String>()
  private val waiting = mutableListOf<(Any?) -> Unit>()
  private val timers = Executors.newSingleThreadScheduledExecutor()
  @Volatile private var call: Call? = null

  /** `onEnd(expired)`: the session ended (`true` when it expired: the host keeps that handle in memory). */
  fun start(bff: String, handle: () -> String?, onEnd: (Boolean) -> Unit) {
    Thread {
      while (true) {
        val value = handle() ?: return@Thread
        val request = Request.Builder().url("$bff/auth/events").header("cookie", value)
          .header("accept", "text/event-stream").build()
        val opened = http.newCall(request).also { call = it }
        try {
          opened.execute().use { response ->
            if (response.code == 401) return@Thread onEnd(true)
            val source = response.body!!.source()
            var event = ""
            val data = StringBuilder()
            while (true) {
              val line = source.readUtf8Line() ?: break
              when {
                line.startsWith("event: ") -> event = line.removePrefix("event: ")
                line.startsWith("data: ") -> data.append(line.removePrefix("data: "))
                line.isEmpty() -> {
                  if (event == "auth" && data.isNotEmpty()) deliver(data.toString(), onEnd)
                  event = ""
                  data.clear()
                }
              }
            }
          }
        } catch (_: IOException) {
          if (opened.isCanceled()) return@Thread   // stop(): the logout
        }
        Thread.sleep(5_000)
      }
    }.start()
  }

  fun stop() {
    call?.cancel()
    val waiters = synchronized(this) { waiting.toList().also { waiting.clear() } }
    waiters.forEach { it(null) }
  }

  fun next(answer: (Any?) -> Unit) {
    synchronized(this) {
      queue.removeFirstOrNull()?.let { return answer(it) }
      waiting.add(answer)
    }
    timers.schedule({
      val stillWaiting = synchronized(this) { waiting.remove(answer) }
      if (stillWaiting) answer(null)
    }, 25, TimeUnit.SECONDS)
  }

  private fun deliver(event: String, onEnd: (Boolean) -> Unit) {
    val waiters = synchronized(this) {
      if (waiting.isEmpty()) queue.addLast(event)
      waiting.toList().also { waiting.clear() }
    }
    waiters.forEach { it(event) }
    if ("\"logged-out\"" in event) onEnd(false)
    if ("\"session-expired\"" in event) onEnd(true)
  }
}
