// hadron.mail.v1.Mail (the public provisioning and delivery API) over the store.
#pragma once

#include "hadron/mail/v1/mail.grpc.pb.h"
#include "absl/time/time.h"
#include "statesvc/store/store.h"

namespace hadron::service {

// "\\Seen" and friends become system bits, anything else a keyword; "\\Recent" is ignored.
absl::StatusOr<store::Flags> ParseImapFlags(const google::protobuf::RepeatedPtrField<std::string>& names);
// The inverse: IMAP names of system flags, then the keywords.
std::vector<std::string> ImapFlagNames(const store::Flags& flags);

// How often WatchAccount looks for changes.
inline constexpr absl::Duration kWatchAccountPoll = absl::Milliseconds(100);

class MailService final : public mail::v1::Mail::Service {
 public:
  explicit MailService(store::Store* store) : store_(store) {}

  grpc::Status CreateAccount(grpc::ServerContext*, const mail::v1::CreateAccountRequest*,
                             mail::v1::CreateAccountResponse*) override;
  grpc::Status DeleteAccount(grpc::ServerContext*, const mail::v1::DeleteAccountRequest*,
                             mail::v1::Empty*) override;
  grpc::Status SetPassword(grpc::ServerContext*, const mail::v1::SetPasswordRequest*,
                           mail::v1::Empty*) override;
  grpc::Status ListMailboxes(grpc::ServerContext*, const mail::v1::ListMailboxesRequest*,
                             mail::v1::ListMailboxesResponse*) override;
  grpc::Status CreateMailbox(grpc::ServerContext*, const mail::v1::CreateMailboxRequest*,
                             mail::v1::Empty*) override;
  grpc::Status Deliver(grpc::ServerContext*, const mail::v1::DeliverRequest*,
                       mail::v1::DeliverResponse*) override;
  grpc::Status SetFlags(grpc::ServerContext*, const mail::v1::SetFlagsRequest*,
                        mail::v1::SetFlagsResponse*) override;
  grpc::Status Expunge(grpc::ServerContext*, const mail::v1::ExpungeRequest*,
                       mail::v1::ExpungeResponse*) override;
  grpc::Status SetQuota(grpc::ServerContext*, const mail::v1::SetQuotaRequest*,
                        mail::v1::Quota*) override;
  grpc::Status GetQuota(grpc::ServerContext*, const mail::v1::GetQuotaRequest*,
                        mail::v1::Quota*) override;
  grpc::Status Checkpoint(grpc::ServerContext*, const mail::v1::CheckpointRequest*,
                          mail::v1::CheckpointResponse*) override;
  // Public API slice (mail_api.cc): mailboxes, import, export, watch.
  grpc::Status DeleteMailbox(grpc::ServerContext*, const mail::v1::DeleteMailboxRequest*,
                             mail::v1::Empty*) override;
  grpc::Status RenameMailbox(grpc::ServerContext*, const mail::v1::RenameMailboxRequest*,
                             mail::v1::Empty*) override;
  grpc::Status SetSubscribed(grpc::ServerContext*, const mail::v1::SetSubscribedRequest*,
                             mail::v1::Empty*) override;
  grpc::Status Import(grpc::ServerContext*, grpc::ServerReader<mail::v1::ImportMessage>*,
                      mail::v1::ImportResponse*) override;
  grpc::Status FetchMessages(grpc::ServerContext*, const mail::v1::FetchMessagesRequest*,
                             grpc::ServerWriter<mail::v1::StoredMessage>*) override;
  grpc::Status WatchAccount(grpc::ServerContext*, const mail::v1::WatchAccountRequest*,
                            grpc::ServerWriter<mail::v1::AccountChange>*) override;

 private:
  store::Store* store_;
};

}  // namespace hadron::service
