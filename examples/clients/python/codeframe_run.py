#!/usr/bin/env python3
"""Build a PRD with CodeFRAME from Python, over gRPC with grpcio.

Creates a project from a PRD file, starts it, and prints its events until it ends; exits 0
when every task completed. The message classes come from a descriptor set of proto/, so no
code generation is needed:

    npx buf build proto -o codeframe.binpb
    python3 codeframe_run.py --lead 127.0.0.1:7100 --descriptors codeframe.binpb PRD.md

Over TLS (a lead with CODEFRAME_TLS_CERT/KEY), add --tls; the CA and the client certificate
(mutual TLS) come from --ca, --cert and --key, or CODEFRAME_TLS_CA, CODEFRAME_TLS_CLIENT_CERT
and CODEFRAME_TLS_CLIENT_KEY as for every CodeFRAME client (the system roots without a CA).

Needs grpcio and protobuf (Debian: apt-get install python3-grpcio python3-protobuf).
"""
import argparse
import os
import sys

# grpc's C core logs a failed handshake to stderr itself; this script says it in one sentence.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")
import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

SERVICE = "/codeframe.v1.LeadService/"


class Lead:
    """The LeadService methods this script uses, typed by the descriptor set."""

    def __init__(self, target, descriptors, token, credentials=None):
        files = descriptor_pb2.FileDescriptorSet.FromString(open(descriptors, "rb").read())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.AddSerializedFile(file.SerializeToString())
        self.factory = message_factory.MessageFactory(self.pool)
        self.channel = (
            grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        )
        self.metadata = [("authorization", f"Bearer {token}")] if token else None

    def message(self, name):
        return self.factory.GetPrototype(self.pool.FindMessageTypeByName(f"codeframe.v1.{name}"))

    def enum_value(self, enum, name):
        return self.pool.FindEnumTypeByName(f"codeframe.v1.{enum}").values_by_name[name].number

    def call(self, method, request, response, timeout=60, **fields):
        stub = self.channel.unary_unary(
            SERVICE + method,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.message(response).FromString,
        )
        return stub(self.message(request)(**fields), metadata=self.metadata, timeout=timeout)

    def watch(self, project_id, after_seq=0):
        stub = self.channel.unary_stream(
            SERVICE + "WatchEvents",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.message("Event").FromString,
        )
        request = self.message("WatchEventsRequest")(project_id=project_id, after_seq=after_seq)
        return stub(request, metadata=self.metadata)


def tls_credentials(args):
    """grpc's channel credentials from the CA and the client certificate files, if any."""
    def read(path):
        if not path:
            return None
        try:
            return open(path, "rb").read()
        except OSError as error:
            raise SystemExit(f"cannot read {path}: {error.strerror}")
    cert, key = read(args.cert), read(args.key)
    if bool(cert) != bool(key):
        raise SystemExit("give both a client certificate and its key (--cert/--key), or neither")
    return grpc.ssl_channel_credentials(root_certificates=read(args.ca), private_key=key, certificate_chain=cert)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prd", help="the PRD, a Markdown file")
    parser.add_argument("--lead", default="127.0.0.1:7100", help="host:port of the lead")
    parser.add_argument("--descriptors", required=True, help="descriptor set of proto/")
    parser.add_argument("--token", help="the lead's CODEFRAME_AUTH_TOKEN, if it has one")
    parser.add_argument("--tls", action="store_true", help="talk to the lead over TLS")
    parser.add_argument("--ca", default=os.environ.get("CODEFRAME_TLS_CA"), help="CA to verify the lead with")
    parser.add_argument("--cert", default=os.environ.get("CODEFRAME_TLS_CLIENT_CERT"), help="client certificate")
    parser.add_argument("--key", default=os.environ.get("CODEFRAME_TLS_CLIENT_KEY"), help="its key")
    args = parser.parse_args()

    lead = Lead(args.lead, args.descriptors, args.token, tls_credentials(args) if args.tls else None)
    try:
        prd = open(args.prd, encoding="utf-8").read()
    except OSError as error:
        print(f"cannot read the PRD {args.prd}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        project = lead.call("CreateProject", "CreateProjectRequest", "CreateProjectResponse", prd=prd).project
        print(f"project {project.id} {project.name!r} created; repository {project.repo_url}")
        lead.call("StartProject", "StartProjectRequest", "StartProjectResponse", timeout=1800, project_id=project.id)
        done = {lead.enum_value("ProjectStatus", s): s for s in ("PROJECT_STATUS_COMPLETED", "PROJECT_STATUS_FAILED")}
        for event in lead.watch(project.id):
            kind = event.WhichOneof("payload")
            payload = json_format.MessageToDict(getattr(event, kind), preserving_proto_field_name=True)
            print(f"{event.seq:>4} {kind} {payload}")
            if kind == "project_status" and event.project_status.status in done:
                ok = done[event.project_status.status] == "PROJECT_STATUS_COMPLETED"
                print("every task completed" if ok else f"the project failed: {event.project_status.reason}")
                return 0 if ok else 1
        print("the lead ended the event stream before the project ended", file=sys.stderr)
        return 1
    except grpc.RpcError as error:
        if args.tls and error.code() == grpc.StatusCode.UNAVAILABLE:
            print(
                f"cannot talk to the lead at {args.lead} over TLS ({error.details()}): is --ca "
                "(CODEFRAME_TLS_CA) the CA that signed its certificate, and --cert/--key "
                "(CODEFRAME_TLS_CLIENT_CERT/KEY) a client certificate it accepts?",
                file=sys.stderr,
            )
            return 3
        print(f"the lead at {args.lead} answered {error.code().name}: {error.details()}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
