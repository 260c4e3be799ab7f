// Gatehouse hybrid-app host for iOS: documented source, NOT compiled or tested in this repository (no Xcode
// here). The reference host that runs and is tested is examples/shop/hybrid/gjs/host.js (WebKitGTK);
// this file follows the same contract (packages/policy/src/contract/native.ts) and the same duties
// (docs/hybrid-apps.md). Swift 5.9, iOS 15+ (WKScriptMessageHandlerWithReply, ASWebAuthenticationSession).

import AuthenticationServices
import CryptoKit
import Security
import WebKit

/// The allow-lists of the bridge contract, as `bridgeRequestHeaders`, `bridgeResponseHeaders`,
/// `bridgeAuthActions` and `bridgeLimits` of @gatehouse/policy define them.
enum BridgeContract {
  static let name = "gatehouse"
  static let requestHeaders: Set<String> = ["accept", "content-type", "traceparent", "x-csrf", "idempotency-key"]
  static let responseHeaders = ["content-type", "retry-after", "etag", "cache-control"]
  static let authActions = [
    "/auth/session": "GET", "/auth/session/extend": "POST", "/auth/logout": "POST", "/auth/pending": "POST", "/auth/tenant": "POST",
    "/auth/sessions": "GET",
  ]
  /// `DELETE /auth/pending/{remote}`: the name as `pendingActionNamePattern` reads it.
  static let pendingTake = try! NSRegularExpression(pattern: "^/auth/pending/[A-Za-z][A-Za-z0-9._-]{0,63}$")
  /// `DELETE /auth/sessions/{handle}` and `/others`: the handle as `sessionHandlePattern` reads it.
  static let sessionsEnd = try! NSRegularExpression(pattern: "^/auth/sessions/(others|[A-Za-z0-9_-]{12})$")
  static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]
  static let bodyBytes = 256 * 1024

  /// `bridgePathAllowed`: origin-form, no dot segments, no encoded slashes, `/api/…` or an auth action.
  static func pathAllowed(method: String, path: String) -> Bool {
    guard path.hasPrefix("/"), path.count <= 2048, !path.contains("\\") else { return false }
    let pathname = String(path.split(separator: "?", maxSplits: 1).first ?? "")
    let lower = pathname.lowercased()
    if pathname.contains("//") || lower.contains("%2f") || lower.contains("%5c") || lower.contains("%2e") { return false }
    if pathname.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) { return false }
    if let action = authActions[pathname] { return method == action }
    let whole = NSRange(pathname.startIndex..., in: pathname)
    if pendingTake.firstMatch(in: pathname, range: whole) != nil
      || sessionsEnd.firstMatch(in: pathname, range: whole) != nil { return method == "DELETE" }
    return pathname.hasPrefix("/api/") && methods.contains(method)
  }
}

/// Keeps the session handle in the Keychain: never in the WebView, never in UserDefaults.
struct HandleStore {
  let service = "dev.gatehouse.session"
  func save(_ handle: String) {
    clear()
    SecItemAdd([kSecClass: kSecClassGenericPassword, kSecAttrService: service,
                kSecAttrAccessible: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
                kSecValueData: Data(handle.utf8)] as CFDictionary, nil)
  }
  func load() -> String? {
    var item: CFTypeRef?
    let query = [kSecClass: kSecClassGenericPassword, kSecAttrService: service, kSecReturnData: true] as CFDictionary
    guard SecItemCopyMatching(query, &item) == errSecSuccess, let data = item as? Data else { return nil }
    return String(data: data, encoding: .utf8)
  }
  func clear() { SecItemDelete([kSecClass: kSecClassGenericPassword, kSecAttrService: service] as CFDictionary) }
}

final class GatehouseHost: NSObject, WKScriptMessageHandlerWithReply, WKNavigationDelegate,
  ASWebAuthenticationPresentationContextProviding {
  let bff: URL                  // https://shop.example.com
  let appOrigin: String         // the origin the app's pages load from, e.g. https://app.shop.example.com
  let redirect = "com.example.shop:/signed-in"   // registered in GATEHOUSE_NATIVE_REDIRECT_URIS
  let store = HandleStore()
  weak var webView: WKWebView?
  /// The handle of a session that expired, in memory only, until the next sign-in or a logout: as a browser
  /// keeps its dead cookie, it is sent only with `POST /auth/pending` (a remote's unsent work waits for the
  /// next sign-in) and with that sign-in's redemption (the BFF carries the work to the new session).
  var expired: String?

  init(bff: URL, appOrigin: String) { self.bff = bff; self.appOrigin = appOrigin }

  /// The handler is added to the page content world: the page calls
  /// `window.webkit.messageHandlers.gatehouse.postMessage(message)` and awaits the reply.
  func install(in configuration: WKWebViewConfiguration) {
    configuration.userContentController.addScriptMessageHandler(self, contentWorld: .page, name: BridgeContract.name)
  }

  /// The WebView the app made with that configuration: its navigations to `/auth/login` go to the system browser.
  func attach(_ view: WKWebView) {
    webView = view
    view.navigationDelegate = self
  }

  // MARK: Sign-in in the system's browser session (RFC 8252), with PKCE S256

  /// The shell sends the WebView to `<appOrigin>/auth/login?returnTo=…` (a sign-in, or a step-up with
  /// `acr_values` and `max_age`): the host takes it to the system browser instead, with the same options.
  func webView(_ webView: WKWebView, decidePolicyFor action: WKNavigationAction,
               decisionHandler: @escaping (WKNavigationActionPolicy) -> Void) {
    guard let url = action.request.url, url.absoluteString.hasPrefix("\(appOrigin)/auth/") else {
      return decisionHandler(.allow)
    }
    decisionHandler(.cancel)
    guard url.path == "/auth/login" else { return }
    let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
    let stepUp = items.filter { $0.name == "acr_values" || $0.name == "max_age" }
    let returnTo = items.first(where: { $0.name == "returnTo" })?.value ?? "/"
    signIn(stepUp: stepUp) { signedIn in
      guard signedIn else { return }
      DispatchQueue.main.async { webView.load(URLRequest(url: URL(string: "\(self.appOrigin)\(returnTo)")!)) }
    }
  }

  func signIn(stepUp: [URLQueryItem] = [], completion: @escaping (Bool) -> Void) {
    var random = [UInt8](repeating: 0, count: 32)
    _ = SecRandomCopyBytes(kSecRandomDefault, random.count, &random)
    let verifier = Data(random).base64URL
    let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URL
    let state = UUID().uuidString
    var url = URLComponents(url: bff.appendingPathComponent("/auth/native/authorize"), resolvingAgainstBaseURL: false)!
    url.queryItems = [.init(name: "redirect_uri", value: redirect), .init(name: "state", value: state),
                      .init(name: "code_challenge", value: challenge), .init(name: "code_challenge_method", value: "S256")]
                     + stepUp
    let session = ASWebAuthenticationSession(url: url.url!, callbackURLScheme: "com.example.shop") { callback, _ in
      let items = callback.flatMap { URLComponents(url: $0, resolvingAgainstBaseURL: false)?.queryItems } ?? []
      guard items.first(where: { $0.name == "state" })?.value == state,
            let code = items.first(where: { $0.name == "code" })?.value else { return completion(false) }
      self.redeem(code: code, verifier: verifier, completion: completion)
    }
    session.presentationContextProvider = self
    session.start()
  }

  private func redeem(code: String, verifier: String, completion: @escaping (Bool) -> Void) {
    var request = URLRequest(url: bff.appendingPathComponent("/auth/native/token"))
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "content-type")
    // The handle still held (a step-up) or the expired one: the BFF replaces that session and carries the
    // action a remote left there to the new one (the same user's only).
    request.httpShouldHandleCookies = false
    if let held = store.load() ?? expired { request.setValue(held, forHTTPHeaderField: "cookie") }
    // The replaced session's stream stops first: its `logged-out` must not reach the new handle.
    PushRelay.shared.stop()
    request.httpBody = try? JSONSerialization.data(withJSONObject: [
      "grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": redirect])
    URLSession.shared.dataTask(with: request) { data, response, _ in
      guard (response as? HTTPURLResponse)?.statusCode == 200, let data,
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let handle = json["handle"] as? String else { return completion(false) }
      self.store.save(handle)
      self.expired = nil
      // The push channel (logout, expiry, role or tenant change), held by the host with the handle. When
      // the session ends the handle goes; an expired one is kept in memory for the work left behind.
      PushRelay.shared.start(bff: self.bff, handle: { self.store.load() }, onEnd: { expiredSession in
        self.expired = expiredSession ? self.store.load() : nil
        self.store.clear()
      })
      completion(true)
    }.resume()
  }

  /// The BFF's sign-out page in the system browser's session (the one the sign-in used): it sends the browser
  /// on to the issuer's end-session endpoint, which may ask the user to confirm.
  func signOutAtIssuer() {
    let session = ASWebAuthenticationSession(url: bff.appendingPathComponent("/auth/logout/end"),
                                             callbackURLScheme: "com.example.shop") { _, _ in }
    session.presentationContextProvider = self
    session.start()
  }

  func presentationAnchor(for session: ASWebAuthenticationSession) -> ASPresentationAnchor {
    webView?.window ?? ASPresentationAnchor()
  }

  // MARK: The bridge

  func userContentController(_ controller: WKUserContentController, didReceive message: WKScriptMessage,
                             replyHandler: @escaping (Any?, String?) -> Void) {
    // Only the main frame of the app's own origin: an iframe (of any origin) is refused.
    let origin = message.frameInfo.securityOrigin
    let from = "\(origin.protocol)://\(origin.host)\(origin.port == 0 ? "" : ":\(origin.port)")"
    guard message.frameInfo.isMainFrame, from == appOrigin else { return replyHandler(problem(403, "frame"), nil) }
    guard let body = message.body as? [String: Any], let kind = body["kind"] as? String else {
      return replyHandler(problem(400, "malformed"), nil)
    }
    if kind == "next-event" { return PushRelay.shared.next(replyHandler) }
    guard kind == "request", let method = body["method"] as? String, let path = body["path"] as? String,
          let headers = body["headers"] as? [String: String] else { return replyHandler(problem(400, "malformed"), nil) }
    guard BridgeContract.pathAllowed(method: method, path: path) else { return replyHandler(problem(403, "path_not_allowed"), nil) }
    guard headers.keys.allSatisfy({ BridgeContract.requestHeaders.contains($0.lowercased()) }) else {
      return replyHandler(problem(403, "header_not_allowed"), nil)
    }
    let text = body["body"] as? String
    guard (text?.utf8.count ?? 0) <= BridgeContract.bodyBytes else { return replyHandler(problem(413, "body_too_large"), nil) }

    var request = URLRequest(url: URL(string: path, relativeTo: bff)!)
    request.httpMethod = method
    request.httpShouldHandleCookies = false          // the handle is attached by hand, never stored
    headers.forEach { request.setValue($0.value, forHTTPHeaderField: $0.key) }
    if let handle = store.load() ?? (path == "/auth/pending" ? expired : nil) {
      request.setValue(handle, forHTTPHeaderField: "cookie")
    }
    request.setValue("1", forHTTPHeaderField: "x-csrf")
    if method != "GET" { request.setValue(bff.absoluteString.trimmingCharacters(in: ["/"]), forHTTPHeaderField: "origin") }
    request.httpBody = text.map { Data($0.utf8) }
    URLSession.shared.dataTask(with: request) { data, response, _ in
      guard let http = response as? HTTPURLResponse else { return replyHandler(nil, "the BFF did not answer") }
      var kept: [String: String] = [:]
      for name in BridgeContract.responseHeaders { kept[name] = http.value(forHTTPHeaderField: name) }
      if path.hasPrefix("/auth/logout") {
        self.store.clear(); self.expired = nil; PushRelay.shared.stop()
        // The app's session has ended; the issuer's, in the system browser, has not: end it there too.
        if http.statusCode == 200 { DispatchQueue.main.async { self.signOutAtIssuer() } }
      }
      replyHandler(["status": http.statusCode, "headers": kept,
                    "body": String(data: data ?? Data(), encoding: .utf8) ?? ""], nil)
    }.resume()
  }

  private func problem(_ status: Int, _ reason: String) -> [String: Any] {
    ["status": status, "headers": ["content-type": "application/problem+json"],
     "body": "{\"status\":\(status),\"code\":\"bad_request\",\"detail\":\"\(reason)\"}"]
  }
}

/// Holds `GET /auth/events` with the handle (a URLSession data stream, Server-Sent Events) and answers the
/// page's waits (`next-event`) with each `auth` event's data (an AuthMessage as JSON text), or `nil` after
/// 25 s; an event no page waits for is queued. Start it once the handle is stored, stop it at logout; a
/// `logged-out` or `session-expired` ends the stream (the host then forgets the handle), a broken one is
/// opened again after 5 s while a handle is held. As examples/shop/hybrid/bridge-host.ts does.
final class PushRelay: NSObject, URLSessionDataDelegate {
  static let shared = PushRelay()
  private let lock = NSLock()
  private var queue: [String] = []
  private var waiting: [UUID: (Any?, String?) -> Void] = [:]
  private var buffer = Data()
  private var task: URLSessionDataTask?
  private var handle: (() -> String?)?
  private var bff: URL?
  private var onEnd: ((Bool) -> Void)?
  // Its own session: the stream never holds a connection that page calls wait for.
  private lazy var session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)

  /// `onEnd(expired)`: the session ended (`true` when it expired: the host keeps that handle in memory).
  func start(bff: URL, handle: @escaping () -> String?, onEnd: @escaping (Bool) -> Void) {
    self.bff = bff
    self.handle = handle
    self.onEnd = onEnd
    open()
  }

  func stop() {
    lock.lock(); let running = task; task = nil; handle = nil; let waiters = waiting; waiting = [:]; lock.unlock()
    running?.cancel()
    waiters.values.forEach { $0(nil, nil) }
  }

  private func open() {
    guard let bff, let value = handle?() else { return }
    var request = URLRequest(url: bff.appendingPathComponent("/auth/events"))
    request.httpShouldHandleCookies = false
    request.setValue(value, forHTTPHeaderField: "cookie")
    request.setValue("text/event-stream", forHTTPHeaderField: "accept")
    request.timeoutInterval = 24 * 3600
    let opened = session.dataTask(with: request)
    lock.lock(); task = opened; buffer = Data(); lock.unlock()
    opened.resume()
  }

  func next(_ reply: @escaping (Any?, String?) -> Void) {
    lock.lock()
    if !queue.isEmpty { let first = queue.removeFirst(); lock.unlock(); return reply(first, nil) }
    let id = UUID()
    waiting[id] = reply
    lock.unlock()
    DispatchQueue.global().asyncAfter(deadline: .now() + 25) { [weak self] in
      guard let self else { return }
      self.lock.lock(); let waiter = self.waiting.removeValue(forKey: id); self.lock.unlock()
      waiter?(nil, nil)
    }
  }

  // Each chunk of the stream: complete events end with a blank line; `data:` lines of `event: auth` are sent.
  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    lock.lock(); buffer.append(data); var events: [String] = []
    while let end = buffer.range(of: Data("\n\n".utf8)) {
      let block = String(decoding: buffer.subdata(in: buffer.startIndex..<end.lowerBound), as: UTF8.self)
      buffer.removeSubrange(buffer.startIndex..<end.upperBound)
      let lines = block.split(separator: "\n")
      guard lines.contains("event: auth") else { continue }
      events.append(lines.filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }.joined(separator: "\n"))
    }
    lock.unlock()
    events.forEach(deliver)
  }

  private func deliver(_ event: String) {
    lock.lock()
    let waiters = waiting; waiting = [:]
    if waiters.isEmpty { queue.append(event) }
    lock.unlock()
    waiters.values.forEach { $0(event, nil) }
    if event.contains("\"logged-out\"") { onEnd?(false) }
    if event.contains("\"session-expired\"") { onEnd?(true) }
  }

  // The stream ended or broke: open it again while a handle is held (a 401 means the session is gone).
  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    let status = (task.response as? HTTPURLResponse)?.statusCode
    lock.lock(); let current = self.task === task; lock.unlock()
    guard current else { return }
    if status == 401 { onEnd?(true); return }
    DispatchQueue.global().asyncAfter(deadline: .now() + 5) { [weak self] in self?.open() }
  }
}

extension Data {
  var base64URL: String {
    base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }
}
