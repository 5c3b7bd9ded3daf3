"""The reason codes of loans, in three languages: why a loan became overdue or taxable."""

from __future__ import annotations

from hetao.reasons import Template, register

UNRETURNED_OUT = "loan.unreturned_out"
NOT_REEXPORTED_IN = "loan.not_reexported_in"
OVERDUE = "loan.overdue"

CATALOGUE = register(
    "loans",
    {
        OVERDUE: Template(
            "loans.term",
            "The instrument was due back on {due_on} and has not crossed back",
            "該儀器應於 {due_on} 歸還,仍未復運通關",
            "该仪器应于 {due_on} 归还,仍未复运通关",
        ),
        UNRETURNED_OUT: Template(
            "R5",
            "The instrument lent to Hong Kong was not back {grace_days} days after {due_on}: its"
            " exemption lapses and the import taxes are due (R5, {tax_rule})",
            "借往香港的儀器於 {due_on} 後 {grace_days} 日仍未復運進區:免稅條件不再符合,"
            "須補繳進口稅(R5,{tax_rule})",
            "借往香港的仪器于 {due_on} 后 {grace_days} 日仍未复运进区:免税条件不再符合,"
            "须补缴进口税(R5,{tax_rule})",
        ),
        NOT_REEXPORTED_IN: Template(
            "R32",
            "The Hong Kong instrument admitted temporarily was not re-exported {grace_days} days"
            " after {due_on}: it is taxed as an import (R32, {tax_rule})",
            "暫時進境的香港儀器於 {due_on} 後 {grace_days} 日仍未復運出境:按進口徵稅"
            "(R32,{tax_rule})",
            "暂时进境的香港仪器于 {due_on} 后 {grace_days} 日仍未复运出境:按进口征税"
            "(R32,{tax_rule})",
        ),
    },
)
