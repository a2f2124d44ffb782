// FetchAtt::ResponseName: how a FETCH response names each data item.
#include "frontend/protocol/command.h"

namespace hadron::imap {

std::string FetchAtt::ResponseName() const { return ""; }

}  // namespace hadron::imap
