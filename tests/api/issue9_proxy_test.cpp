// Behind nginx (issue 9 §5, docs/deploy.md) every request comes from the
// proxy's address. With --trusted-proxy the client named in X-Forwarded-For
// is the address audited and throttled; without it, or from an untrusted
// peer, the header is ignored, so a client cannot pick the address it is
// audited and throttled under.
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

// The client_ip of the last sign_in audit event.
std::string LastSignInAddress(TestServer& server) {
  auto tx = server.store().Begin(app::TxMode::kRead);
  if (!tx.ok()) return "no transaction";
  auto rows = (*tx)->ReadAudit(0, 100000);
  if (!rows.ok()) return "no audit";
  std::string ip = "none";
  for (const auto& row : *rows) {
    if (row.action == "sign_in") ip = row.client_ip;
  }
  return ip;
}

Reply SignInVia(int port, const std::string& forwarded_for) {
  return Send(port, "POST", "/api/v1/session", json{{"username", "tester"}, {"password", TestServer::kPassword}}.dump(),
              kJson, {{"X-Forwarded-For", forwarded_for}});
}

TEST(Issue9Proxy, TrustedProxyNamesTheClientInXForwardedFor) {
  TestServer server(TestNow(), {"127.0.0.1"});
  ASSERT_EQ(SignInVia(server.port(), "203.0.113.7").status, 201);
  EXPECT_EQ(LastSignInAddress(server), "203.0.113.7");
  // A client's own header, then nginx's hop: the rightmost untrusted address.
  ASSERT_EQ(SignInVia(server.port(), "198.51.100.1, 2001:db8::5").status, 201);
  EXPECT_EQ(LastSignInAddress(server), "2001:db8::5");
  // A chain of trusted proxies is skipped.
  ASSERT_EQ(SignInVia(server.port(), "192.0.2.9, 127.0.0.1").status, 201);
  EXPECT_EQ(LastSignInAddress(server), "192.0.2.9");
  // Garbage in the header: the peer's address, not the garbage.
  ASSERT_EQ(SignInVia(server.port(), "<script>").status, 201);
  EXPECT_EQ(LastSignInAddress(server), "127.0.0.1");
}

TEST(Issue9Proxy, WithoutTrustedProxiesTheHeaderIsIgnored) {
  TestServer server;
  ASSERT_EQ(SignInVia(server.port(), "203.0.113.7").status, 201);
  EXPECT_EQ(LastSignInAddress(server), "127.0.0.1");
}

TEST(Issue9Proxy, AnUntrustedPeerCannotChooseItsThrottledAddress) {
  TestServer server(TestNow(), {"10.9.9.9"});  // the proxy is elsewhere; the test talks from 127.0.0.1
  ASSERT_EQ(SignInVia(server.port(), "203.0.113.8").status, 201);
  EXPECT_EQ(LastSignInAddress(server), "127.0.0.1");
}

}  // namespace
}  // namespace ctims::api_test
