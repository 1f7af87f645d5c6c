#!/usr/bin/env python3
"""Build a PRD with CodeFRAME from Python, over gRPC with grpcio.

Creates a project from a PRD file, starts it, and prints its events until it ends; exits 0
when every task completed. The message classes come from a descriptor set of proto/, so no
code generation is needed:

    npx buf build proto -o codeframe.binpb
    python3 codeframe_run.py --lead 127.0.0.1:7100 --descriptors codeframe.binpb PRD.md

Needs grpcio and protobuf (Debian: apt-get install python3-grpcio python3-protobuf).
"""
import argparse
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

SERVICE = "/codeframe.v1.LeadService/"


class Lead:
    """The LeadService methods this script uses, typed by the descriptor set."""

    def __init__(self, target, descriptors, token):
        files = descriptor_pb2.FileDescriptorSet.FromString(open(descriptors, "rb").read())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.AddSerializedFile(file.SerializeToString())
        self.factory = message_factory.MessageFactory(self.pool)
        self.channel = grpc.insecure_channel(target)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prd", help="the PRD, a Markdown file")
    parser.add_argument("--lead", default="127.0.0.1:7100", help="host:port of the lead")
    parser.add_argument("--descriptors", required=True, help="descriptor set of proto/")
    parser.add_argument("--token", help="the lead's CODEFRAME_AUTH_TOKEN, if it has one")
    args = parser.parse_args()

    lead = Lead(args.lead, args.descriptors, args.token)
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
        print(f"the lead at {args.lead} answered {error.code().name}: {error.details()}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
