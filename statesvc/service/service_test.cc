// End-to-end tests: the real gRPC server on 127.0.0.1 port 0, called through a real channel.
#include <cstdlib>
#include <filesystem>
#include <map>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hadron/mail/v1/mail.grpc.pb.h"
#include "hadron/state/v1/state.grpc.pb.h"
#include "statesvc/service/server.h"

namespace hadron::service {
namespace {

using ::testing::ElementsAre;
namespace sv = ::hadron::state::v1;
namespace mv = ::hadron::mail::v1;

constexpr char kMessage[] =
    "From: Alice <alice@example.com>\r\n"
    "Subject: Hello there\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "\r\n"
    "Body text\r\n";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string base = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
    std::string tmpl = base + "/svcXXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store::StoreOptions options;
    options.scrypt.n = 1024;
    auto st = store::Store::Open(dir_, options);
    ASSERT_TRUE(st.ok()) << st.status();
    store_ = std::move(*st);
    auto server = Server::Start(store_.get(), "127.0.0.1:0");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    state_ = sv::State::NewStub(channel_);
    mail_ = mv::Mail::NewStub(channel_);
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  uint64_t CreateAccount(const std::string& name) {
    mv::CreateAccountRequest req;
    req.set_name(name);
    req.set_password("pw");
    mv::CreateAccountResponse resp;
    EXPECT_TRUE(mail_->CreateAccount(Ctx().get(), req, &resp).ok());
    return resp.account_id();
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<sv::State::Stub> state_;
  std::unique_ptr<mv::Mail::Stub> mail_;
};

TEST_F(ServiceTest, MailApiProvisioningAndDelivery) {
  uint64_t id = CreateAccount("Bob");
  EXPECT_GT(id, 0u);
  mv::CreateAccountRequest dup;
  dup.set_name("bob");
  dup.set_password("x");
  mv::CreateAccountResponse dup_resp;
  EXPECT_EQ(mail_->CreateAccount(Ctx().get(), dup, &dup_resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  mv::CreateMailboxRequest cm;
  cm.set_account("bob");
  cm.set_name("Lists/Dev");
  mv::Empty empty;
  ASSERT_TRUE(mail_->CreateMailbox(Ctx().get(), cm, &empty).ok());

  mv::DeliverRequest d;
  d.set_account("BOB");
  d.set_message(kMessage);
  d.add_flags("\\Seen");
  d.add_flags("$Label1");
  mv::DeliverResponse dr;
  ASSERT_TRUE(mail_->Deliver(Ctx().get(), d, &dr).ok());
  EXPECT_EQ(dr.uid(), 1u);
  d.set_mailbox("Lists/Dev");
  d.clear_flags();
  ASSERT_TRUE(mail_->Deliver(Ctx().get(), d, &dr).ok());
  d.set_mailbox("Nope");
  EXPECT_EQ(mail_->Deliver(Ctx().get(), d, &dr).error_code(), grpc::StatusCode::NOT_FOUND);
  d.set_mailbox("");
  d.add_flags("\\Bogus");
  EXPECT_EQ(mail_->Deliver(Ctx().get(), d, &dr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  mv::ListMailboxesRequest lr;
  lr.set_account("bob");
  mv::ListMailboxesResponse list;
  ASSERT_TRUE(mail_->ListMailboxes(Ctx().get(), lr, &list).ok());
  std::map<std::string, mv::Mailbox> by_name;
  for (const auto& m : list.mailboxes()) by_name[m.name()] = m;
  EXPECT_EQ(by_name.size(), 8u);  // 6 defaults + Lists + Lists/Dev
  EXPECT_EQ(by_name["INBOX"].messages(), 1u);
  EXPECT_EQ(by_name["INBOX"].unseen(), 0u);
  EXPECT_EQ(by_name["Lists/Dev"].messages(), 1u);
  EXPECT_EQ(by_name["Trash"].special_use(), "\\Trash");

  mv::SetPasswordRequest sp;
  sp.set_name("bob");
  sp.set_password("new");
  ASSERT_TRUE(mail_->SetPassword(Ctx().get(), sp, &empty).ok());
  sv::AuthenticateRequest ar;
  ar.set_username("bob");
  ar.set_password("new");
  sv::AuthenticateResponse auth;
  ASSERT_TRUE(state_->Authenticate(Ctx().get(), ar, &auth).ok());
  EXPECT_EQ(auth.account_id(), id);
  ar.set_password("pw");
  EXPECT_EQ(state_->Authenticate(Ctx().get(), ar, &auth).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  mv::DeleteAccountRequest del;
  del.set_name("bob");
  ASSERT_TRUE(mail_->DeleteAccount(Ctx().get(), del, &empty).ok());
  EXPECT_EQ(mail_->DeleteAccount(Ctx().get(), del, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, StateApiRoundTrip) {
  uint64_t id = CreateAccount("carol");
  sv::AppendRequest ap;
  ap.set_account_id(id);
  ap.set_mailbox("inbox");
  ap.set_message(kMessage);
  ap.mutable_flags()->set_system(sv::FLAGGED);
  ap.set_internal_date(1700000000);
  ap.set_internal_date_tz(-480);
  sv::AppendResponse apr;
  ASSERT_TRUE(state_->Append(Ctx().get(), ap, &apr).ok());
  EXPECT_EQ(apr.uid(), 1u);

  sv::MailboxRef ref;
  ref.set_account_id(id);
  ref.set_name("INBOX");
  sv::SelectResponse sel;
  ASSERT_TRUE(state_->Select(Ctx().get(), ref, &sel).ok());
  EXPECT_EQ(sel.info().mailbox_id(), apr.mailbox_id());
  EXPECT_EQ(sel.info().highest_modseq(), apr.modseq());
  ASSERT_EQ(sel.messages_size(), 1);
  EXPECT_EQ(sel.messages(0).flags().system(), static_cast<uint32_t>(sv::FLAGGED));

  sv::FetchRequest fr;
  fr.set_account_id(id);
  fr.set_mailbox_id(apr.mailbox_id());
  fr.add_uids(1);
  fr.add_uids(5);
  fr.set_want_structure(true);
  fr.set_want_content(true);
  sv::FetchResponse fetched;
  ASSERT_TRUE(state_->Fetch(Ctx().get(), fr, &fetched).ok());
  ASSERT_EQ(fetched.messages_size(), 2);
  EXPECT_EQ(fetched.messages(0).content(), kMessage);
  EXPECT_EQ(fetched.messages(0).internal_date_tz(), -480);
  EXPECT_NE(fetched.messages(0).envelope().find("Hello there"), std::string::npos);
  EXPECT_TRUE(fetched.messages(1).missing());

  sv::StoreRequest st;
  st.set_account_id(id);
  st.set_mailbox_id(apr.mailbox_id());
  st.add_uids(1);
  st.set_op(sv::StoreRequest::ADD);
  st.mutable_flags()->set_system(sv::DELETED);
  sv::StoreResponse str;
  ASSERT_TRUE(state_->Store(Ctx().get(), st, &str).ok());
  ASSERT_EQ(str.updated_size(), 1);
  EXPECT_EQ(str.updated(0).flags().system(), static_cast<uint32_t>(sv::FLAGGED | sv::DELETED));

  sv::SearchRequest sr;
  sr.set_account_id(id);
  sr.set_mailbox_id(apr.mailbox_id());
  sr.mutable_key()->set_kind(sv::SearchKey::HEADER);
  sr.mutable_key()->set_header_name("Subject");
  sr.mutable_key()->set_value("hello");
  sv::SearchResponse found;
  ASSERT_TRUE(state_->Search(Ctx().get(), sr, &found).ok());
  EXPECT_THAT(found.uids(), ElementsAre(1));

  sv::CopyRequest cp;
  cp.set_account_id(id);
  cp.set_mailbox_id(apr.mailbox_id());
  cp.add_uids(1);
  cp.set_destination("Archive");
  cp.set_move(true);
  sv::CopyResponse cpr;
  ASSERT_TRUE(state_->Copy(Ctx().get(), cp, &cpr).ok());
  EXPECT_THAT(cpr.destination_uids(), ElementsAre(1));
  EXPECT_THAT(cpr.expunged(), ElementsAre(1));

  sv::GetChangesRequest gc;
  gc.set_account_id(id);
  gc.set_mailbox_id(apr.mailbox_id());
  gc.set_since_modseq(apr.modseq());
  sv::GetChangesResponse changes;
  ASSERT_TRUE(state_->GetChanges(Ctx().get(), gc, &changes).ok());
  ASSERT_EQ(changes.changes_size(), 2);
  EXPECT_EQ(changes.changes(0).kind(), sv::Change::FLAGS);
  EXPECT_EQ(changes.changes(1).kind(), sv::Change::EXPUNGE);

  sv::MailboxRef bad;
  bad.set_account_id(id);
  bad.set_name("INBOX");
  sv::Empty e;
  EXPECT_EQ(state_->DeleteMailbox(Ctx().get(), bad, &e).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  sv::CreateMailboxRequest cm;
  cm.set_account_id(id);
  cm.set_name("Archive");
  sv::MailboxInfo info;
  EXPECT_EQ(state_->CreateMailbox(Ctx().get(), cm, &info).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(ServiceTest, WatchReplaysThenStreamsLiveChanges) {
  uint64_t id = CreateAccount("dave");
  auto mb = store_->GetMailbox(id, "INBOX");
  ASSERT_TRUE(mb.ok());
  auto first = store_->Append(id, "INBOX", {}, 0, 0, kMessage);
  ASSERT_TRUE(first.ok());

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = state_->Watch(&ctx);
  sv::WatchRequest req;
  req.mutable_subscribe()->set_account_id(id);
  req.mutable_subscribe()->set_mailbox_id(mb->id);
  req.mutable_subscribe()->set_since_modseq(mb->highest_modseq);  // before the first append
  ASSERT_TRUE(stream->Write(req));

  sv::WatchEvent ev;
  ASSERT_TRUE(stream->Read(&ev));
  EXPECT_EQ(ev.mailbox_id(), mb->id);
  EXPECT_EQ(ev.change().kind(), sv::Change::APPEND);
  EXPECT_EQ(ev.change().modseq(), first->modseq);

  // A live change made through the Mail API.
  mv::DeliverRequest d;
  d.set_account("dave");
  d.set_message(kMessage);
  mv::DeliverResponse dr;
  ASSERT_TRUE(mail_->Deliver(Ctx().get(), d, &dr).ok());
  ASSERT_TRUE(stream->Read(&ev));
  EXPECT_EQ(ev.change().kind(), sv::Change::APPEND);
  ASSERT_EQ(ev.change().messages_size(), 1);
  EXPECT_EQ(ev.change().messages(0).uid(), dr.uid());

  // Deleting a watched mailbox says so.
  auto tmp = store_->CreateMailbox(id, "Tmp");
  ASSERT_TRUE(tmp.ok());
  req.mutable_subscribe()->set_mailbox_id(tmp->id);
  req.mutable_subscribe()->set_since_modseq(tmp->highest_modseq);
  ASSERT_TRUE(stream->Write(req));
  // Subscriptions are processed in order; give this one a moment to be registered.
  ASSERT_TRUE(store_->StoreFlags(id, mb->id, std::vector<uint32_t>{1}, store::StoreOp::kAdd,
                                 {store::kSeen, {}}, 0).ok());
  ASSERT_TRUE(stream->Read(&ev));
  EXPECT_EQ(ev.change().kind(), sv::Change::FLAGS);
  ASSERT_TRUE(store_->DeleteMailbox(id, "Tmp").ok());
  ASSERT_TRUE(stream->Read(&ev));
  EXPECT_EQ(ev.mailbox_id(), tmp->id);
  EXPECT_TRUE(ev.mailbox_gone());

  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServiceTest, WatchOnGoneMailboxSaysGone) {
  uint64_t id = CreateAccount("erin");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = state_->Watch(&ctx);
  sv::WatchRequest req;
  req.mutable_subscribe()->set_account_id(id);
  req.mutable_subscribe()->set_mailbox_id(987654);
  ASSERT_TRUE(stream->Write(req));
  sv::WatchEvent ev;
  ASSERT_TRUE(stream->Read(&ev));
  EXPECT_TRUE(ev.mailbox_gone());
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// QUOTA through both APIs: Mail.SetQuota / GetQuota, State.GetQuota, and the over-quota status
// of a delivery (RESOURCE_EXHAUSTED, "over quota: ...") and of a State.Append.
TEST_F(ServiceTest, QuotaOverBothApis) {
  uint64_t id = CreateAccount("carol");
  mv::GetQuotaRequest get;
  get.set_account("carol");
  mv::Quota q;
  ASSERT_TRUE(mail_->GetQuota(Ctx().get(), get, &q).ok());
  EXPECT_FALSE(q.has_storage_limit_kib());
  EXPECT_FALSE(q.has_message_limit());
  EXPECT_EQ(q.messages_used(), 0u);
  mv::SetQuotaRequest set;
  set.set_account("carol");
  set.set_message_limit(1);
  set.set_storage_limit_kib(100);
  ASSERT_TRUE(mail_->SetQuota(Ctx().get(), set, &q).ok());
  EXPECT_EQ(q.message_limit(), 1u);
  EXPECT_EQ(q.storage_limit_kib(), 100u);
  mv::DeliverRequest d;
  d.set_account("carol");
  d.set_message(kMessage);
  mv::DeliverResponse dr;
  ASSERT_TRUE(mail_->Deliver(Ctx().get(), d, &dr).ok());
  grpc::Status over = mail_->Deliver(Ctx().get(), d, &dr);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(over.error_message().rfind("over quota: ", 0), 0u) << over.error_message();
  sv::AppendRequest ap;
  ap.set_account_id(id);
  ap.set_mailbox("Archive");
  ap.set_message(kMessage);
  sv::AppendResponse apr;
  EXPECT_EQ(state_->Append(Ctx().get(), ap, &apr).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  sv::GetQuotaRequest sg;
  sg.set_account_id(id);
  sv::QuotaInfo info;
  ASSERT_TRUE(state_->GetQuota(Ctx().get(), sg, &info).ok());
  EXPECT_EQ(info.messages_used(), 1u);
  EXPECT_EQ(info.storage_used(), std::string_view(kMessage).size());
  EXPECT_EQ(info.message_limit(), 1u);
  mv::GetQuotaRequest nobody;
  nobody.set_account("nobody");
  EXPECT_EQ(mail_->GetQuota(Ctx().get(), nobody, &q).error_code(), grpc::StatusCode::NOT_FOUND);
}


// --- Public API slice (issue 7). ---

mv::ImportMessage ImportMsg(const std::string& account, const std::string& mailbox,
                            const std::string& body, std::vector<std::string> flags,
                            int64_t date, bool create = false) {
  mv::ImportMessage m;
  m.set_account(account);
  m.set_mailbox(mailbox);
  m.set_message(body);
  for (auto& f : flags) m.add_flags(f);
  m.set_internal_date(date);
  m.set_create_mailbox(create);
  return m;
}

TEST_F(ServiceTest, MailApiImportStreamAndFetchMessages) {
  CreateAccount("imp");
  mv::ImportResponse resp;
  auto ctx = Ctx();
  auto writer = mail_->Import(ctx.get(), &resp);
  ASSERT_TRUE(writer->Write(ImportMsg("imp", "INBOX", kMessage, {"\\Seen", "$Label1"}, 1000000000)));
  ASSERT_TRUE(writer->Write(ImportMsg("", "Lists/Dev", "Subject: 2\r\n\r\nx\r\n", {"\\Flagged"},
                                      1100000000, /*create=*/true)));
  ASSERT_TRUE(writer->Write(ImportMsg("", "INBOX", "Subject: 3\r\n\r\ny\r\n", {"\\Bogus"}, 0)));
  ASSERT_TRUE(writer->Write(ImportMsg("", "Nope", "Subject: 4\r\n\r\nz\r\n", {}, 0)));
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status st = writer->Finish();
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(resp.results_size(), 4);
  EXPECT_EQ(resp.imported(), 2u);
  EXPECT_EQ(resp.failed(), 2u);
  EXPECT_EQ(resp.results(0).uid(), 1u);
  EXPECT_EQ(resp.results(1).uid(), 1u);
  EXPECT_EQ(resp.results(2).uid(), 0u);
  EXPECT_THAT(resp.results(2).error(), ::testing::HasSubstr("Bogus"));
  EXPECT_EQ(resp.results(3).uid(), 0u);
  EXPECT_FALSE(resp.results(3).error().empty());

  mv::FetchMessagesRequest fr;
  fr.set_account("imp");
  fr.set_mailbox("Lists/Dev");
  fr.set_want_content(true);
  auto fctx = Ctx();
  auto reader = mail_->FetchMessages(fctx.get(), fr);
  std::vector<mv::StoredMessage> got;
  mv::StoredMessage m;
  while (reader->Read(&m)) got.push_back(m);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].content(), "Subject: 2\r\n\r\nx\r\n");
  EXPECT_EQ(got[0].internal_date(), 1100000000);
  EXPECT_THAT(std::vector<std::string>(got[0].flags().begin(), got[0].flags().end()),
              ElementsAre("\\Flagged"));

  fr.set_mailbox("INBOX");
  auto fctx2 = Ctx();
  reader = mail_->FetchMessages(fctx2.get(), fr);
  got.clear();
  while (reader->Read(&m)) got.push_back(m);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].internal_date(), 1000000000);
  EXPECT_THAT(std::vector<std::string>(got[0].flags().begin(), got[0].flags().end()),
              ElementsAre("\\Seen", "$Label1"));

  // An unknown account ends the stream with NOT_FOUND.
  mv::ImportResponse bad;
  auto bctx = Ctx();
  auto w2 = mail_->Import(bctx.get(), &bad);
  w2->Write(ImportMsg("nobody", "INBOX", kMessage, {}, 0));
  w2->WritesDone();
  EXPECT_EQ(w2->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, MailApiMailboxManagement) {
  CreateAccount("mbx");
  mv::CreateMailboxRequest c;
  c.set_account("mbx");
  c.set_name("A/B");
  mv::Empty e;
  ASSERT_TRUE(mail_->CreateMailbox(Ctx().get(), c, &e).ok());
  mv::RenameMailboxRequest r;
  r.set_account("mbx");
  r.set_from("A");
  r.set_to("C");
  ASSERT_TRUE(mail_->RenameMailbox(Ctx().get(), r, &e).ok());
  mv::SetSubscribedRequest sub;
  sub.set_account("mbx");
  sub.set_name("C/B");
  sub.set_subscribed(true);
  ASSERT_TRUE(mail_->SetSubscribed(Ctx().get(), sub, &e).ok());
  mv::DeleteMailboxRequest d;
  d.set_account("mbx");
  d.set_name("INBOX");
  EXPECT_EQ(mail_->DeleteMailbox(Ctx().get(), d, &e).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  mv::ListMailboxesRequest l;
  l.set_account("mbx");
  mv::ListMailboxesResponse lr;
  ASSERT_TRUE(mail_->ListMailboxes(Ctx().get(), l, &lr).ok());
  std::map<std::string, bool> names;
  for (const auto& m : lr.mailboxes()) names[m.name()] = m.subscribed();
  EXPECT_TRUE(names.count("C/B") && names["C/B"]);
  EXPECT_FALSE(names.count("A/B"));
  d.set_name("C/B");
  EXPECT_TRUE(mail_->DeleteMailbox(Ctx().get(), d, &e).ok());
  d.set_account("nobody");
  EXPECT_EQ(mail_->DeleteMailbox(Ctx().get(), d, &e).error_code(), grpc::StatusCode::NOT_FOUND);
}

// Reads the next change that is not kind `skip` within 10 s.
bool NextChange(grpc::ClientReader<mv::AccountChange>* reader, mv::AccountChange* out) {
  return reader->Read(out);
}

TEST_F(ServiceTest, MailApiWatchAccountStreamsChangesAndResumes) {
  CreateAccount("w");
  mv::WatchAccountRequest wr;
  wr.set_account("w");
  auto wctx = std::make_unique<grpc::ClientContext>();
  wctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = mail_->WatchAccount(wctx.get(), wr);
  mv::AccountChange c;
  ASSERT_TRUE(NextChange(reader.get(), &c));
  EXPECT_EQ(c.kind(), mv::AccountChange::SNAPSHOT);
  EXPECT_FALSE(c.cursor().empty());

  mv::DeliverRequest d;
  d.set_account("w");
  d.set_message(kMessage);
  d.add_flags("$Hot");
  mv::DeliverResponse dr;
  ASSERT_TRUE(mail_->Deliver(Ctx().get(), d, &dr).ok());
  ASSERT_TRUE(NextChange(reader.get(), &c));
  EXPECT_EQ(c.kind(), mv::AccountChange::MESSAGES_ADDED);
  EXPECT_EQ(c.mailbox(), "INBOX");
  ASSERT_EQ(c.messages_size(), 1);
  EXPECT_EQ(c.messages(0).uid(), dr.uid());
  EXPECT_THAT(std::vector<std::string>(c.messages(0).flags().begin(), c.messages(0).flags().end()),
              ElementsAre("$Hot"));
  const std::string after_add = c.cursor();

  mv::SetFlagsRequest f;
  f.set_account("w");
  f.add_uids(dr.uid());
  f.set_op(mv::SetFlagsRequest::ADD);
  f.add_flags("\\Seen");
  mv::SetFlagsResponse fr;
  ASSERT_TRUE(mail_->SetFlags(Ctx().get(), f, &fr).ok());
  ASSERT_TRUE(NextChange(reader.get(), &c));
  EXPECT_EQ(c.kind(), mv::AccountChange::FLAGS_CHANGED);
  ASSERT_EQ(c.messages_size(), 1);
  EXPECT_THAT(std::vector<std::string>(c.messages(0).flags().begin(), c.messages(0).flags().end()),
              ElementsAre("\\Seen", "$Hot"));

  mv::CreateMailboxRequest cm;
  cm.set_account("w");
  cm.set_name("Projects");
  mv::Empty e;
  ASSERT_TRUE(mail_->CreateMailbox(Ctx().get(), cm, &e).ok());
  ASSERT_TRUE(NextChange(reader.get(), &c));
  EXPECT_EQ(c.kind(), mv::AccountChange::MAILBOX_CREATED);
  EXPECT_EQ(c.mailbox(), "Projects");
  mv::RenameMailboxRequest rn;
  rn.set_account("w");
  rn.set_from("Projects");
  rn.set_to("Work");
  ASSERT_TRUE(mail_->RenameMailbox(Ctx().get(), rn, &e).ok());
  ASSERT_TRUE(NextChange(reader.get(), &c));
  EXPECT_EQ(c.kind(), mv::AccountChange::MAILBOX_RENAMED);
  EXPECT_EQ(c.old_name(), "Projects");
  EXPECT_EQ(c.mailbox(), "Work");
  mv::DeleteMailboxRequest dm;
  dm.set_account("w");
  dm.set_name("Work");
  ASSERT_TRUE(mail_->DeleteMailbox(Ctx().get(), dm, &e).ok());
  ASSERT_TRUE(NextChange(reader.get(), &c));
  EXPECT_EQ(c.kind(), mv::AccountChange::MAILBOX_DELETED);
  EXPECT_EQ(c.mailbox(), "Work");

  mv::ExpungeRequest x;
  x.set_account("w");
  x.add_uids(dr.uid());
  mv::ExpungeResponse xr;
  ASSERT_TRUE(mail_->Expunge(Ctx().get(), x, &xr).ok());
  ASSERT_TRUE(NextChange(reader.get(), &c));
  EXPECT_EQ(c.kind(), mv::AccountChange::MESSAGES_EXPUNGED);
  EXPECT_THAT(std::vector<uint32_t>(c.uids().begin(), c.uids().end()), ElementsAre(dr.uid()));
  wctx->TryCancel();
  reader->Finish();

  // Resuming from after the delivery replays the rest, in order.
  wr.set_cursor(after_add);
  auto rctx = std::make_unique<grpc::ClientContext>();
  rctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto resumed = mail_->WatchAccount(rctx.get(), wr);
  std::vector<mv::AccountChange::Kind> kinds;
  while (kinds.size() < 2 && NextChange(resumed.get(), &c)) kinds.push_back(c.kind());
  // The Projects mailbox came and went between two looks: only the message changes remain.
  EXPECT_THAT(kinds, ElementsAre(mv::AccountChange::FLAGS_CHANGED,
                                 mv::AccountChange::MESSAGES_EXPUNGED));
  rctx->TryCancel();
  resumed->Finish();

  wr.set_cursor("garbage");
  auto gctx = Ctx();
  auto bad = mail_->WatchAccount(gctx.get(), wr);
  EXPECT_FALSE(bad->Read(&c));
  EXPECT_EQ(bad->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace hadron::service
