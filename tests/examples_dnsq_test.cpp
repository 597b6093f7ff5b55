// examples/dnsq against a tiny DNS responder this test serves on
// 127.0.0.1 (a plain thread with glibc sockets, never the network): the
// answers and their format, NXDOMAIN, a server that drops each first query
// (dnsq's retry), one that never answers (its timeout, every try counted),
// and bad arguments.

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/child_process.hpp"

namespace {

using rawrt::test::build_path;
using rawrt::test::ChildResult;
using rawrt::test::run_command;
using rawrt::test::emulated;

constexpr uint16_t kA = 1, kAAAA = 28;

// Answers by name: example.test (two kinds of address), v4only.test (A
// records only), missing.test (NXDOMAIN), retry.test (drops the first query
// of each type), silent.test (never answers).
class Responder {
public:
    Responder() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~Responder() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
    int queries(const std::string& name, uint16_t type) {
        std::lock_guard<std::mutex> g(mu_);
        return counts_[{name, type}];
    }

private:
    void serve() {
        unsigned char q[512];
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            const ssize_t n = ::recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &flen);
            if (n < 17) continue;
            std::string name;
            size_t off = 12;
            while (off < static_cast<size_t>(n) && q[off] != 0) {
                if (!name.empty()) name += '.';
                name.append(reinterpret_cast<char*>(q + off + 1), q[off]);
                off += 1 + q[off];
            }
            const size_t qend = off + 5;
            const uint16_t type = static_cast<uint16_t>(q[off + 1] << 8 | q[off + 2]);
            int count;
            {
                std::lock_guard<std::mutex> g(mu_);
                count = ++counts_[{name, type}];
            }
            std::vector<std::vector<unsigned char>> answers;
            int rcode = 0;
            if (name == "silent.test" || (name == "retry.test" && count == 1)) continue;
            if (name == "missing.test") rcode = 3;
            if (type == kA && name == "example.test") answers.push_back({1, 2, 3, 4});
            if (type == kA && (name == "v4only.test" || name == "retry.test")) answers.push_back({10, 0, 0, 1});
            if (type == kAAAA && name == "example.test") {
                answers.push_back(std::vector<unsigned char>(16, 0));
                answers.back()[15] = 1;
                answers.push_back({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
            }
            std::vector<unsigned char> r(q, q + qend);
            r[2] = 0x81;
            r[3] = static_cast<unsigned char>(0x80 | rcode);
            r[6] = 0;
            r[7] = static_cast<unsigned char>(answers.size());
            r[8] = r[9] = r[10] = r[11] = 0;
            for (auto& a : answers) {
                const unsigned char rr[] = {0xc0, 12, 0, static_cast<unsigned char>(type),    0, 1, 0, 0,
                                            0,    60, 0, static_cast<unsigned char>(a.size())};
                r.insert(r.end(), rr, rr + sizeof rr);
                r.insert(r.end(), a.begin(), a.end());
            }
            ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
        }
    }

    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::mutex mu_;
    std::map<std::pair<std::string, uint16_t>, int> counts_;
};

ChildResult dnsq(const std::string& args, int timeout_ms) {
    const std::string runner = rawrt::test::runner();
    return run_command("DNSQ_TIMEOUT_MS=" + std::to_string(timeout_ms) + " " + (runner.empty() ? "" : runner + " ") +
                       build_path("examples/dnsq") + " " + args);
}

int timeout_ms() { return emulated() ? 600 : 200; }

TEST(ExamplesDnsq, PrintsEveryAddressAndExitsZero) {
    Responder dns;
    auto r = dnsq("example.test " + dns.addr(), timeout_ms());
    EXPECT_EQ(r.exit_status, 0) << r.output;
    EXPECT_EQ(r.output, "example.test A 1.2.3.4\nexample.test AAAA ::1\nexample.test AAAA 2001:db8::1\n");
    r = dnsq("v4only.test " + dns.addr(), timeout_ms());
    EXPECT_EQ(r.exit_status, 0) << r.output;
    EXPECT_EQ(r.output, "v4only.test A 10.0.0.1\n");
    EXPECT_EQ(dns.queries("example.test", kA), 1);
    EXPECT_EQ(dns.queries("example.test", kAAAA), 1);
}

TEST(ExamplesDnsq, NxdomainExitsOne) {
    Responder dns;
    auto r = dnsq("missing.test " + dns.addr(), timeout_ms());
    EXPECT_EQ(r.exit_status, 1) << r.output;
    EXPECT_NE(r.output.find("NXDOMAIN"), std::string::npos) << r.output;
}

// The first query of each type is dropped: the answer comes to the second
// try, after one timeout.
TEST(ExamplesDnsq, RetriesAfterATimeout) {
    Responder dns;
    auto r = dnsq("retry.test " + dns.addr(), timeout_ms());
    EXPECT_EQ(r.exit_status, 0) << r.output;
    EXPECT_EQ(r.output, "retry.test A 10.0.0.1\n");
    EXPECT_EQ(dns.queries("retry.test", kA), 2);
    EXPECT_EQ(dns.queries("retry.test", kAAAA), 2);
}

TEST(ExamplesDnsq, NoAnswerAfterEveryTryExitsOne) {
    Responder dns;
    auto r = dnsq("silent.test " + dns.addr(), timeout_ms());
    EXPECT_EQ(r.exit_status, 1) << r.output;
    EXPECT_NE(r.output.find("no answer"), std::string::npos) << r.output;
    EXPECT_EQ(dns.queries("silent.test", kA), 3);
    EXPECT_EQ(dns.queries("silent.test", kAAAA), 3);
}

TEST(ExamplesDnsq, BadArgumentsExitTwoWithTheUsage) {
    for (const char* args :
         {"", "example.test", "example.test 127.0.0.1", "a..b 127.0.0.1:53", "example.test nowhere:53", "x y z"}) {
        auto r = dnsq(args, timeout_ms());
        EXPECT_EQ(r.exit_status, 2) << "'" << args << "': " << r.output;
        EXPECT_NE(r.output.find("usage: dnsq NAME SERVER"), std::string::npos) << r.output;
    }
}

}  // namespace
