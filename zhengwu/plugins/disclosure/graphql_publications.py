"""GraphQL of the catalog, publications and the review chain (政务公开 — editors, reviewers,
approvers at every tier that discloses).

Thin by rule: each resolver parses its input, calls ONE service (``catalog``,
``publications``, ``review``) and maps the result; mutations run through ``_mutate`` (commit on
success; rollback and ``errors { field code message }`` on a domain error). A publication's
review history, attachments (metadata; the content is served by the public feed) and links
resolve through per-request DataLoaders, so a page of publications costs a constant number of
statements.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from zhengwu.core.calendar.service import Deadline
from zhengwu.core.db import ALL_SCOPE
from zhengwu.core.errors import Invalid, NotFound
from zhengwu.core.security.principal import Principal
from zhengwu.graphql.calendar import WorkingDeadline
from zhengwu.graphql.core_mutation import _mutate
from zhengwu.graphql.errors import UserError
from zhengwu.graphql.pagination import (
    Connection,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
)
from zhengwu.graphql.types import Info
from zhengwu.plugins.disclosure import catalog, review
from zhengwu.plugins.disclosure import publications as service
from zhengwu.plugins.disclosure.models import Attachment as AttachmentRow
from zhengwu.plugins.disclosure.models import Publication as PublicationRow
from zhengwu.plugins.disclosure.models import ReviewStep as StepRow

__all__ = ["PublicationMutation", "PublicationQuery"]


# ------------------------------------------------------------------------------ enums

@strawberry.enum(description="信息在审核链中的状态。")
class PublicationStatus(Enum):
    DRAFT = strawberry.enum_value("draft", description="草稿")
    RETURNED = strawberry.enum_value("returned", description="退回修改（可编辑、可重新提交）")
    CONFIDENTIALITY = strawberry.enum_value("confidentiality", description="保密审查")
    LEADER = strawberry.enum_value("leader", description="分管领导审核")
    PRINCIPAL = strawberry.enum_value("principal", description="主要领导审批（重大事项）")
    PUBLISHED = strawberry.enum_value("published", description="已发布")
    WITHDRAWN = strawberry.enum_value("withdrawn", description="已撤回")


@strawberry.enum(description="公开属性。")
class PublicationAttribute(Enum):
    PROACTIVE = strawberry.enum_value("proactive", description="主动公开（进入公开目录）")
    ON_REQUEST = strawberry.enum_value("on_request", description="依申请公开（不进入公开目录）")
    NOT_DISCLOSED = strawberry.enum_value(
        "not_disclosed", description="不予公开（须注明条例第十四至十六条的理由）")


@strawberry.enum(description="公开时限类别。")
class PublicationTiming(Enum):
    LONG_TERM = strawberry.enum_value("long_term", description="长期公开")
    PERIODIC = strawberry.enum_value("periodic", description="定期公开")
    AD_HOC = strawberry.enum_value("ad_hoc", description="及时公开")


@strawberry.enum(description="文件类型（年度报告统计规章、行政规范性文件的制发、废止和现行有效件数）。")
class PublicationDocKind(Enum):
    RULE = strawberry.enum_value("rule", description="规章")
    NORMATIVE = strawberry.enum_value("normative", description="行政规范性文件")
    OTHER = strawberry.enum_value("other", description="其他")


@strawberry.enum(description="信息之间的关联。")
class PublicationLinkKind(Enum):
    INTERPRETS = strawberry.enum_value("interprets", description="政策解读：解读目标政策")
    REPEALS = strawberry.enum_value("repeals", description="废止目标文件（发布时目标记录废止日期）")


# ------------------------------------------------------------------------------ loaders

class PublicationLoaders:
    """DataLoaders of a publication's relations for one request."""

    def __init__(self, session: AsyncSession, principal: Principal | None = None) -> None:
        async def steps(ids: Sequence[uuid.UUID]) -> list[list[StepRow]]:
            found = await service.steps_for(session, ids)
            return [found[i] for i in ids]

        async def attachments(ids: Sequence[uuid.UUID]) -> list[list[AttachmentRow]]:
            found = await service.attachments_for(session, ids)
            return [found[i] for i in ids]

        root = principal.acting_path if principal is not None else ALL_SCOPE

        async def links(ids: Sequence[uuid.UUID]) -> list[list[service.LinkView]]:
            found = await service.links_for(session, ids, root)
            return [found[i] for i in ids]

        self.steps: DataLoader[uuid.UUID, list[StepRow]] = DataLoader(steps)
        self.attachments: DataLoader[uuid.UUID, list[AttachmentRow]] = DataLoader(attachments)
        self.links: DataLoader[uuid.UUID, list[service.LinkView]] = DataLoader(links)


def _loaders(info: Info) -> PublicationLoaders:
    return info.context.loaders.plugin(PublicationLoaders, info.context.principal)


# ------------------------------------------------------------------------------ types

@strawberry.type(description="政府信息公开目录的类目：国家规定的（条例第二十、二十一条）或上级、本级增设的子类目。")
class DisclosureCategory:
    code: str = strawberry.field(description="类目编码：01–15 第二十条，16–22 第二十一条（市、县），"
                                             "30–34 乡镇；子类目为上级编码加“.”和两位数字")
    name: str
    parent_code: str | None
    source: str = strawberry.field(description="national（国家规定）| inherited（上级增设）| own（本级增设）")
    article: str | None = strawberry.field(description="国家类目所依条款，如 20(7)")
    owner_code: str | None = strawberry.field(description="增设该子类目的单位的区划代码")
    description: str | None
    children: list[DisclosureCategory]

    @classmethod
    def from_entry(cls, e: catalog.CatalogEntry) -> DisclosureCategory:
        return cls(code=e.code, name=e.name, parent_code=e.parent_code, source=e.source,
                   article=e.article, owner_code=e.owner_code, description=e.description,
                   children=[cls.from_entry(c) for c in e.children])


@strawberry.type(description="代码与名称。")
class DisclosureOption:
    code: str
    title: str


@strawberry.type(description="信息的可选项（五公开、重点领域、不予公开理由）。")
class PublicationOptions:
    disclosure_kinds: list[DisclosureOption]
    key_areas: list[DisclosureOption]
    withhold_grounds: list[DisclosureOption]


@strawberry.type(description="审核链的一步：谁、以什么角色、何时、做了什么、意见。")
class PublicationReviewStep:
    action: str = strawberry.field(description="submit | approve | return | revise | withdraw")
    from_status: PublicationStatus | None
    to_status: PublicationStatus
    actor: str | None = strawberry.field(description="办理人（用户名）")
    actor_role: str | None
    at: datetime
    comment: str | None
    version: int


@strawberry.type(description="附件（元数据；内容经公开目录的地址获取）。")
class PublicationAttachment:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


@strawberry.type(description="信息之间的关联：本条解读或废止另一条（out），或被另一条解读或废止（in）。")
class PublicationLinkRef:
    kind: PublicationLinkKind
    direction: str = strawberry.field(description="out：本条 → 对方；in：对方 → 本条")
    other_id: strawberry.ID
    other_title: str | None = strawberry.field(description="对方标题（本单位不可见时为空）")
    other_index_no: str | None


def _other_title(info: Info, other: PublicationRow | None) -> str | None:
    """The linked item's title: its working title in the caller's subtree, else (an
    ancestor's public item) the published one — never an ancestor's revision in review."""
    if other is None:
        return None
    principal = info.context.principal
    return other.title if principal.sees(other.tenant_path) else other.published_title


def _tenant_code(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@strawberry.type(description="一条政府信息及其在审核链中的状态。公众看到的是 publishedTitle/publishedBody"
                             "（主动公开、已发布且未撤回时）。")
class Publication:
    id: strawberry.ID
    tenant_code: str
    index_no: str | None = strawberry.field(description="索引号 <区划代码>-<类目编码去点>-<年>-<5位序号>，"
                                                        "首次发布时生成，修订不变")
    title: str
    body: str
    category_code: str
    disclosure_kinds: list[str] = strawberry.field(
        description="五公开：decision 决策 | execution 执行 | management 管理 | service 服务 | result 结果")
    key_areas: list[str] = strawberry.field(description="重点领域代码（见 publicationOptions）")
    attribute: PublicationAttribute
    withhold_ground: str | None = strawberry.field(description="不予公开的理由（条例第十四至十六条）")
    timing: PublicationTiming
    doc_kind: PublicationDocKind
    document_no: str | None = strawberry.field(description="文号")
    department_name: str | None = strawberry.field(description="发布机构")
    is_major: bool = strawberry.field(description="重大事项：须主要领导审批")
    status: PublicationStatus
    status_name: str
    current_step: PublicationStatus | None = strawberry.field(description="等待办理的审核环节")
    version: int
    formed_on: date = strawberry.field(description="成文（形成）日期")
    due_on: date | None = strawberry.field(description="主动公开期限（成文后20个工作日，见 deadline）")
    overdue: bool = strawberry.field(description="主动公开信息已过期限仍未发布")
    valid_from: date | None
    valid_until: date | None
    published_at: datetime | None
    published_on: date | None
    published_late: bool | None = strawberry.field(description="首次发布晚于期限（逾期公开）")
    published_title: str | None
    published_body: str | None
    is_public: bool = strawberry.field(description="出现在公开目录中（主动公开、已发布、未撤回）")
    repealed_on: date | None
    withdrawn_at: datetime | None
    withdraw_reason: str | None
    created_at: datetime
    row: strawberry.Private[PublicationRow]

    @classmethod
    def from_row(cls, r: PublicationRow) -> Publication:
        return cls(
            id=strawberry.ID(str(r.id)), tenant_code=_tenant_code(r.tenant_path),
            index_no=r.index_no, title=r.title, body=r.body, category_code=r.category_code,
            disclosure_kinds=list(r.disclosure_kinds or ()), key_areas=list(r.key_areas or ()),
            attribute=PublicationAttribute(r.attribute), withhold_ground=r.withhold_ground,
            timing=PublicationTiming(r.timing), doc_kind=PublicationDocKind(r.doc_kind),
            document_no=r.document_no, department_name=r.department_name, is_major=r.is_major,
            status=PublicationStatus(r.status), status_name=review.STATES[r.status],
            current_step=PublicationStatus(r.status) if review.current_step(r) else None,
            version=r.version, formed_on=r.formed_on, due_on=r.due_on,
            overdue=service.is_overdue(r), valid_from=r.valid_from, valid_until=r.valid_until,
            published_at=r.published_at, published_on=r.published_on,
            published_late=r.published_late, published_title=r.published_title,
            published_body=r.published_body, is_public=service.is_public(r),
            repealed_on=r.repealed_on, withdrawn_at=r.withdrawn_at,
            withdraw_reason=r.withdraw_reason, created_at=r.created_at, row=r)

    @strawberry.field(description="主动公开期限及其推算（跳过的节假日、周末）；非主动公开为空。")
    def deadline(self) -> WorkingDeadline | None:
        if not self.row.due_derivation:
            return None
        return WorkingDeadline.from_deadline(Deadline.from_dict(self.row.due_derivation))

    @strawberry.field(description="审核记录，最早的在前。")
    async def review_steps(self, info: Info) -> list[PublicationReviewStep]:
        rows = await _loaders(info).steps.load(self.row.id)
        return [PublicationReviewStep(
            action=r.action, from_status=PublicationStatus(r.from_status) if r.from_status else None,
            to_status=PublicationStatus(r.to_status), actor=r.actor_name, actor_role=r.actor_role,
            at=r.at, comment=r.comment, version=r.version) for r in rows]

    @strawberry.field(description="附件（元数据）。")
    async def attachments(self, info: Info) -> list[PublicationAttachment]:
        rows = await _loaders(info).attachments.load(self.row.id)
        return [PublicationAttachment(id=strawberry.ID(str(a.id)), filename=a.filename,
                                      content_type=a.content_type, size=a.size, sha256=a.sha256,
                                      created_at=a.created_at) for a in rows]

    @strawberry.field(description="政策解读与废止关联（两个方向）。")
    async def links(self, info: Info) -> list[PublicationLinkRef]:
        rows = await _loaders(info).links.load(self.row.id)
        return [PublicationLinkRef(
            kind=PublicationLinkKind(link.kind), direction=direction,
            other_id=strawberry.ID(str(link.target_id if direction == "out" else link.publication_id)),
            other_title=_other_title(info, other),
            other_index_no=other.index_no if other else None) for link, other, direction in rows]


# ------------------------------------------------------------------------------ queries

@strawberry.input(description="信息列表的筛选条件（均可选，同时满足）。")
class PublicationFilter:
    tenant_code: str | None = strawberry.field(
        default=None, description="本级或下级单位的区划代码：只看该单位及其下级的信息")
    status: list[PublicationStatus] | None = None
    category_code: str | None = strawberry.field(default=None, description="含其子类目")
    attribute: PublicationAttribute | None = None
    year: int | None = strawberry.field(default=None, description="成文年份")
    text: str | None = strawberry.field(default=None, description="标题、文号或索引号包含")
    overdue: bool = strawberry.field(default=False, description="只看逾期未发布的主动公开信息")

    def to_filter(self) -> service.PublicationFilter:
        return service.PublicationFilter(
            tenant_code=self.tenant_code, status=tuple(s.value for s in self.status or ()),
            category_code=self.category_code,
            attribute=self.attribute.value if self.attribute else None, year=self.year,
            text=self.text, overdue=self.overdue)


def _key(value: str | strawberry.ID, kind: str = "publication") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound(kind, value) from exc


@strawberry.type
class PublicationQuery:
    @strawberry.field(description="单位看到的政府信息公开目录（国家类目 + 上级增设 + 本级增设），树形。")
    async def disclosure_catalog(self, info: Info, tenant_code: str) -> list[DisclosureCategory]:
        ctx = info.context
        tree = await catalog.effective_catalog(ctx.session, ctx.principal, tenant_code)
        return [DisclosureCategory.from_entry(e) for e in tree]

    @strawberry.field(description="信息的可选项：五公开、重点领域、不予公开理由（数据）。")
    def publication_options(self) -> PublicationOptions:
        def opts(d: dict[str, str]) -> list[DisclosureOption]:
            return [DisclosureOption(code=k, title=v) for k, v in d.items()]

        return PublicationOptions(disclosure_kinds=opts(service.DISCLOSURE_KINDS),
                                  key_areas=opts(service.KEY_AREAS),
                                  withhold_grounds=opts(service.GROUNDS))

    @strawberry.field(description="本级及下级的政府信息（publication:read），最新的在前，按键分页。")
    async def publications(self, info: Info, first: int | None = None, after: str | None = None,
                           filter: PublicationFilter | None = None) -> Connection[Publication]:
        ctx = info.context
        size = page_size(first)
        page = await service.list_publications(ctx.session, ctx.principal,
                                               filter.to_filter() if filter else None, size,
                                               decode_cursor(after))
        edges = [Edge(cursor=encode_cursor(service.page_key(r)), node=Publication.from_row(r))
                 for r in page.items]
        return Connection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="一条信息（按 ID 或索引号；不存在与无权查看同一回答）。")
    async def publication(self, info: Info, id: strawberry.ID) -> Publication:
        ctx = info.context
        return Publication.from_row(await service.get_publication(ctx.session, ctx.principal, id))


# ------------------------------------------------------------------------------ inputs

@strawberry.input(description="在本单位看到的类目下增设子类目（disclosure_catalog:write）。")
class AddDisclosureCategoryInput:
    tenant_code: str
    parent_code: str
    name: str
    code: str | None = strawberry.field(default=None, description="不填则取下一个可用编码")
    description: str | None = None


@strawberry.input(description="重命名本单位增设的子类目（上级、国家类目不可改）。")
class RenameDisclosureCategoryInput:
    tenant_code: str
    code: str
    name: str
    description: str | None = None


@strawberry.input(description="删除本单位增设且未被使用的子类目。")
class DeleteDisclosureCategoryInput:
    tenant_code: str
    code: str


@strawberry.input(description="起草一条信息（publication:draft）。")
class CreatePublicationInput:
    tenant_code: str
    title: str
    category_code: str
    formed_on: date
    disclosure_kinds: list[str] = strawberry.field(
        default_factory=list, description="五公开（至少一项）：decision | execution | management | "
                                          "service | result")
    attribute: PublicationAttribute = PublicationAttribute.PROACTIVE
    timing: PublicationTiming = PublicationTiming.AD_HOC
    body: str = ""
    key_areas: list[str] = strawberry.field(default_factory=list)
    withhold_ground: str | None = None
    doc_kind: PublicationDocKind = PublicationDocKind.OTHER
    document_no: str | None = None
    department_name: str | None = None
    is_major: bool = False
    valid_from: date | None = None
    valid_until: date | None = None

    def to_fields(self) -> service.PublicationFields:
        return service.PublicationFields(
            title=self.title, category_code=self.category_code, formed_on=self.formed_on,
            disclosure_kinds=tuple(self.disclosure_kinds), attribute=self.attribute.value,
            timing=self.timing.value, body=self.body, key_areas=tuple(self.key_areas),
            withhold_ground=self.withhold_ground, doc_kind=self.doc_kind.value,
            document_no=self.document_no, department_name=self.department_name,
            is_major=self.is_major, valid_from=self.valid_from, valid_until=self.valid_until)


@strawberry.input(description="修改草稿或退回的信息：只改给出的字段（null 清空可选字段）。")
class UpdatePublicationInput:
    publication_id: strawberry.ID
    title: str | None = strawberry.UNSET
    category_code: str | None = strawberry.UNSET
    formed_on: date | None = strawberry.UNSET
    disclosure_kinds: list[str] | None = strawberry.UNSET
    attribute: PublicationAttribute | None = strawberry.UNSET
    timing: PublicationTiming | None = strawberry.UNSET
    body: str | None = strawberry.UNSET
    key_areas: list[str] | None = strawberry.UNSET
    withhold_ground: str | None = strawberry.UNSET
    doc_kind: PublicationDocKind | None = strawberry.UNSET
    document_no: str | None = strawberry.UNSET
    department_name: str | None = strawberry.UNSET
    is_major: bool | None = strawberry.UNSET
    valid_from: date | None = strawberry.UNSET
    valid_until: date | None = strawberry.UNSET

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("title", "category_code", "formed_on", "disclosure_kinds", "attribute",
                     "timing", "body", "key_areas", "withhold_ground", "doc_kind", "document_no",
                     "department_name", "is_major", "valid_from", "valid_until"):
            value = getattr(self, name)
            if value is strawberry.UNSET:
                continue
            if isinstance(value, Enum):
                value = value.value
            elif value is None and name in ("disclosure_kinds", "key_areas"):
                value = ()
            elif value is None and name in ("title", "category_code", "body", "attribute",
                                            "timing", "doc_kind", "is_major"):
                value = "" if name in ("title", "category_code", "body") else None
                if value is None:
                    continue  # a required choice left as it is
            out[name] = value
        return out


@strawberry.input(description="上传附件（base64，单个不超过 10 MB）。")
class AddPublicationAttachmentInput:
    publication_id: strawberry.ID
    filename: str
    content_type: str
    content_base64: str


@strawberry.input(description="删除草稿的附件。")
class RemovePublicationAttachmentInput:
    attachment_id: strawberry.ID


@strawberry.input(description="关联：本条解读（本单位的或上级已公开的）或废止（本单位的）另一条信息。")
class LinkPublicationInput:
    publication_id: strawberry.ID
    target_id: strawberry.ID
    kind: PublicationLinkKind


@strawberry.input(description="提交审核（草稿或退回修改后）。")
class SubmitPublicationInput:
    publication_id: strawberry.ID
    comment: str | None = None


@strawberry.input(description="通过当前审核环节（角色由本单位设置 step_roles 决定）。")
class ApprovePublicationStepInput:
    publication_id: strawberry.ID
    comment: str | None = None


@strawberry.input(description="退回修改（须填写意见）。")
class ReturnPublicationInput:
    publication_id: strawberry.ID
    comment: str


@strawberry.input(description="修订已发布的信息：生成新版本重新走审核链，公众仍看到已发布的版本。")
class RevisePublicationInput:
    publication_id: strawberry.ID
    comment: str | None = None


@strawberry.input(description="撤回（须填写理由）：已发布的退出公开目录。")
class WithdrawPublicationInput:
    publication_id: strawberry.ID
    reason: str


# ------------------------------------------------------------------------------ payloads

@strawberry.type
class DisclosureCategoryPayload:
    category: DisclosureCategory | None
    errors: list[UserError]


@strawberry.type
class DeleteDisclosureCategoryPayload:
    code: str | None
    errors: list[UserError]


@strawberry.type
class PublicationPayload:
    publication: Publication | None
    errors: list[UserError]


@strawberry.type
class PublicationAttachmentPayload:
    attachment: PublicationAttachment | None
    publication: Publication | None
    errors: list[UserError]


# ------------------------------------------------------------------------------ mutations

Work = Callable[[AsyncSession, Principal], Awaitable[Any]]


def _category(row: Any) -> DisclosureCategory | None:
    if row is None:
        return None
    return DisclosureCategory(code=row.code, name=row.name, parent_code=row.parent_code,
                              source="own", article=None,
                              owner_code=_tenant_code(row.tenant_path),
                              description=row.description, children=[])


async def _publication(info: Info, work: Work) -> PublicationPayload:
    row, errors = await _mutate(info, work)
    return PublicationPayload(publication=Publication.from_row(row) if row is not None else None,
                              errors=errors)


_BASE64_MAX = 4 * -(-service.MAX_ATTACHMENT_BYTES // 3)
"""The longest base64 text of an attachment within the limit (checked before decoding)."""


def _decode(content: str) -> bytes:
    if len(content) > _BASE64_MAX + 8:  # a little slack for trailing whitespace
        mb = service.MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise Invalid("publication.attachment_too_large", f"附件超过 {mb} MB",
                      f"the attachment exceeds {mb} MB", field="contentBase64")
    try:
        return base64.b64decode(content.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise Invalid("publication.attachment_base64", "附件内容不是有效的 base64",
                      "the attachment content is not valid base64", field="contentBase64") from exc


@strawberry.type
class PublicationMutation:
    @strawberry.mutation(description="增设子类目。")
    async def add_disclosure_category(self, info: Info, input: AddDisclosureCategoryInput
                                      ) -> DisclosureCategoryPayload:
        row, errors = await _mutate(info, lambda s, p: catalog.add_category(
            s, p, input.tenant_code, input.parent_code, input.name, code=input.code,
            description=input.description))
        return DisclosureCategoryPayload(category=_category(row), errors=errors)

    @strawberry.mutation(description="重命名本单位的子类目。")
    async def rename_disclosure_category(self, info: Info, input: RenameDisclosureCategoryInput
                                         ) -> DisclosureCategoryPayload:
        row, errors = await _mutate(info, lambda s, p: catalog.rename_category(
            s, p, input.tenant_code, input.code, input.name, description=input.description))
        return DisclosureCategoryPayload(category=_category(row), errors=errors)

    @strawberry.mutation(description="删除本单位未被使用的子类目。")
    async def delete_disclosure_category(self, info: Info, input: DeleteDisclosureCategoryInput
                                         ) -> DeleteDisclosureCategoryPayload:
        code, errors = await _mutate(info, lambda s, p: catalog.delete_category(
            s, p, input.tenant_code, input.code))
        return DeleteDisclosureCategoryPayload(code=code, errors=errors)

    @strawberry.mutation(description="起草信息。")
    async def create_publication(self, info: Info, input: CreatePublicationInput
                                 ) -> PublicationPayload:
        return await _publication(info, lambda s, p: service.create_publication(
            s, p, input.tenant_code, input.to_fields()))

    @strawberry.mutation(description="修改草稿。")
    async def update_publication(self, info: Info, input: UpdatePublicationInput
                                 ) -> PublicationPayload:
        return await _publication(info, lambda s, p: service.update_publication(
            s, p, _key(input.publication_id), input.changes()))

    @strawberry.mutation(description="上传附件。")
    async def add_publication_attachment(self, info: Info, input: AddPublicationAttachmentInput
                                         ) -> PublicationAttachmentPayload:
        async def work(s: AsyncSession, p: Principal) -> tuple[AttachmentRow, PublicationRow]:
            row = await service.add_attachment(s, p, _key(input.publication_id), input.filename,
                                               input.content_type, _decode(input.content_base64))
            pub = await s.get(PublicationRow, row.publication_id)
            assert pub is not None
            return row, pub

        result, errors = await _mutate(info, work)
        if result is None:
            return PublicationAttachmentPayload(attachment=None, publication=None, errors=errors)
        a, pub = result
        return PublicationAttachmentPayload(
            attachment=PublicationAttachment(id=strawberry.ID(str(a.id)), filename=a.filename,
                                             content_type=a.content_type, size=a.size,
                                             sha256=a.sha256, created_at=a.created_at),
            publication=Publication.from_row(pub), errors=errors)

    @strawberry.mutation(description="删除附件。")
    async def remove_publication_attachment(self, info: Info,
                                            input: RemovePublicationAttachmentInput
                                            ) -> PublicationPayload:
        return await _publication(info, lambda s, p: service.remove_attachment(
            s, p, _key(input.attachment_id, "publication_attachment")))

    @strawberry.mutation(description="关联政策解读或废止。")
    async def link_publication(self, info: Info, input: LinkPublicationInput) -> PublicationPayload:
        async def work(s: AsyncSession, p: Principal) -> PublicationRow:
            link = await service.link_publication(s, p, _key(input.publication_id),
                                                  _key(input.target_id), input.kind.value)
            pub = await s.get(PublicationRow, link.publication_id)
            assert pub is not None
            return pub

        return await _publication(info, work)

    @strawberry.mutation(description="提交审核。")
    async def submit_publication(self, info: Info, input: SubmitPublicationInput
                                 ) -> PublicationPayload:
        return await _publication(info, lambda s, p: review.submit(
            s, p, _key(input.publication_id), input.comment))

    @strawberry.mutation(description="通过当前审核环节（最后一环通过即发布）。")
    async def approve_publication_step(self, info: Info, input: ApprovePublicationStepInput
                                       ) -> PublicationPayload:
        return await _publication(info, lambda s, p: review.approve(
            s, p, _key(input.publication_id), input.comment))

    @strawberry.mutation(description="退回修改。")
    async def return_publication(self, info: Info, input: ReturnPublicationInput
                                 ) -> PublicationPayload:
        return await _publication(info, lambda s, p: review.return_(
            s, p, _key(input.publication_id), input.comment))

    @strawberry.mutation(description="修订已发布的信息。")
    async def revise_publication(self, info: Info, input: RevisePublicationInput
                                 ) -> PublicationPayload:
        return await _publication(info, lambda s, p: review.revise(
            s, p, _key(input.publication_id), input.comment))

    @strawberry.mutation(description="撤回信息。")
    async def withdraw_publication(self, info: Info, input: WithdrawPublicationInput
                                   ) -> PublicationPayload:
        return await _publication(info, lambda s, p: review.withdraw(
            s, p, _key(input.publication_id), input.reason))
